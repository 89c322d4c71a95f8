// The trainer service: gRPC handlers over TrainerService. Thin: requests become calls into
// libs/training; models, data and representations travel as references.
import { createHash } from 'node:crypto';
import { assessModel, defaultEnergyAssumptions } from '@prune/assessment';
import { activeEngine, type tfl } from '@prune/compute';
import {
  ASSESSMENT_LIMITS,
  AssessmentConfig,
  assessmentMessage,
  assessmentSettingsFromMessage,
  resolveTrainConfigMessage,
  TrainerServiceService,
  type DatasetRef,
  type TrainerServiceServer,
} from '@prune/contracts';
import { openDatasetSample, type LabeledImages } from '@prune/data';
import { loadModelArtifact, putModelArtifact } from '@prune/models';
import { invalidArgument, serverStream, unary, type ServiceBinding } from '@prune/service-kit';
import { encodeMatrix, type ArtifactRef, type ArtifactStore } from '@prune/store';
import {
  evaluateModel,
  evaluationBatch,
  extractRepresentations,
  resolvePreprocessing,
  trainModel,
} from '@prune/training';

/** The examples of `ref`; `maxExamples` when the reference sets none (0 is all of them). */
function openDatasetRef(ref: DatasetRef | undefined, field: string, maxExamples = 0): Promise<LabeledImages> {
  if (!ref?.uri) throw invalidArgument(`${field}.uri`, 'a dataset URI is required (e.g. cifar10-jpeg:train)');
  return openDatasetSample(ref.uri, ref.maxExamples || maxExamples, ref.seed);
}

/**
 * Where a job's checkpoints live: keyed by the job id and its starting model, so a job id reused
 * with another model starts fresh instead of resuming someone else's weights (the configuration
 * is checked against the checkpoint by trainModel).
 */
function checkpointDir(store: ArtifactStore, jobId: string, modelUri: string, teacherUri = ''): string {
  const inputs = teacherUri ? `${modelUri} ${teacherUri}` : modelUri;
  return store.jobDir(jobId, createHash('sha256').update(inputs).digest('hex').slice(0, 16));
}

export function createTrainerService(store: ArtifactStore): TrainerServiceServer {
  return {
    train: serverStream(async (request, write, call) => {
      if (!/^[A-Za-z0-9._-]{1,128}$/.test(request.jobId) || /^\.+$/.test(request.jobId))
        throw invalidArgument('job_id', 'must be 1-128 characters of letters, digits, ".", "_" or "-", not only dots');
      if (!request.config) throw invalidArgument('config', 'a training configuration is required');
      // Unset fields take the defaults a run's fine-tunes take too; a bad value is refused here, naming its field.
      const config = resolveTrainConfigMessage(request.config, 'config');
      const distilling = config.distillationWeight > 0;
      if (distilling && !request.teacher?.uri)
        throw invalidArgument('teacher', 'a teacher model is required when config.distillation_weight > 0');
      const { model, metadata } = await loadModelArtifact(store, request.model, 'model');
      let teacher: tfl.LayersModel | undefined;
      let ref: ArtifactRef;
      let result: Awaited<ReturnType<typeof trainModel>>;
      try {
        if (distilling) teacher = (await loadModelArtifact(store, request.teacher, 'teacher')).model;
        const data = await openDatasetRef(request.trainData, 'train_data');
        const resolved = { ...metadata, preprocessing: await resolvePreprocessing(metadata) };
        const controller = new AbortController();
        call.on('cancelled', () => controller.abort());
        result = await trainModel({
          model,
          metadata: resolved,
          data,
          config,
          checkpointDir: checkpointDir(store, request.jobId, request.model!.uri, teacher && request.teacher!.uri),
          teacher,
          signal: controller.signal,
          onProgress: (p) => write({ event: { $case: 'progress', value: p } }),
        });
        ref = await putModelArtifact(store, model, metadata);
      } finally {
        model.dispose(); // also when training fails or is cancelled: the service lives on
        teacher?.dispose();
      }
      write({
        event: {
          $case: 'result',
          value: {
            model: ref,
            finalLoss: result.finalLoss,
            finalAccuracy: result.finalAccuracy,
            steps: result.steps,
            seconds: result.seconds,
            computeSeconds: result.computeSeconds,
          },
        },
      });
    }),
    evaluate: unary(async (request) => {
      const batchSize = evaluationBatch(request.batchSize);
      const { model, metadata } = await loadModelArtifact(store, request.model, 'model');
      const data = await openDatasetRef(request.data, 'data');
      const preprocessing = await resolvePreprocessing(metadata);
      try {
        return await evaluateModel(model, { ...metadata, preprocessing }, data, batchSize);
      } finally {
        model.dispose();
      }
    }),
    extractRepresentations: unary(async (request) => {
      const batchSize = evaluationBatch(request.batchSize);
      const { model, metadata } = await loadModelArtifact(store, request.model, 'model');
      const data = await openDatasetRef(request.data, 'data');
      const preprocessing = await resolvePreprocessing(metadata);
      try {
        const reps = await extractRepresentations(
          model,
          { ...metadata, preprocessing },
          data,
          request.layer || undefined,
          batchSize,
          request.stochastic,
        );
        const representation = store.putFile(encodeMatrix(reps.rows, reps.columns, reps.data));
        return { representation, rows: reps.rows, columns: reps.columns, layer: reps.layer };
      } finally {
        model.dispose();
      }
    }),
    assess: unary(async (request) => {
      const settings = assessmentSettingsFromMessage(AssessmentConfig.fromPartial(request.config ?? {}), 'config');
      const limit = ASSESSMENT_LIMITS.examples;
      if ((request.data?.maxExamples ?? 0) > limit)
        throw invalidArgument('data.max_examples', `must be at most ${limit}, got ${request.data!.maxExamples}`);
      const { model, metadata } = await loadModelArtifact(store, request.model, 'model');
      try {
        const data = await openDatasetRef(request.data, 'data', settings.examples);
        const result = await assessModel(model, metadata, data, settings);
        // This machine's fine-tunes draw what its TF.js engine does.
        return { assessment: assessmentMessage(result, defaultEnergyAssumptions(activeEngine())) };
      } finally {
        model.dispose();
      }
    }),
  };
}

export function trainerBinding(store: ArtifactStore): ServiceBinding {
  return {
    name: 'prune.v1.TrainerService',
    definition: TrainerServiceService,
    implementation: createTrainerService(store),
  };
}
