// Fine-tuning: SGD with (Nesterov) momentum, weight decay and a learning-rate schedule, seeded
// shuffling and augmentation, checkpoints that resume to the same weights as an uninterrupted run.
import { createHash } from 'node:crypto';
import { makeTrainStep, type tfl, type TrainStep, type TrainStepResult, VariableRateMomentum } from '@prune/compute';
import { epochOrder, gatherBatch, seededRandom, type LabeledImages } from '@prune/data';
import { decayedWeights, firstNonFiniteWeight, requirePreprocessing, type ModelMetadata } from '@prune/models';
import { resolveTrainConfig, type TrainConfig } from '@prune/train-config';
import { learningRateAt } from './learning-rate.js';
import { restoreCheckpoint, writeCheckpoint } from './checkpoint.js';
import { withBatchTensors } from './batch-tensors.js';
import { DataParallelStep } from './replicas.js';
import { CancelledError, FailedPreconditionError, InvalidArgumentError } from '@prune/errors';

export interface TrainProgress {
  epoch: number;
  /** Steps completed (1-based). */
  step: number;
  totalSteps: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
  learningRate: number;
  /** Seconds left at the pace of the steps so far in this process. */
  etaSeconds: number;
}

export interface TrainOptions {
  model: tfl.LayersModel;
  metadata: ModelMetadata;
  data: LabeledImages;
  config: Partial<TrainConfig>;
  /** Directory of this job's checkpoints; when it holds one, training resumes from it. */
  checkpointDir?: string;
  /** Also checkpoint every this many steps (checkpoints are always written at epoch ends). */
  checkpointEverySteps?: number;
  onProgress?: (progress: TrainProgress) => void;
  /** The teacher a distilling configuration (distillationWeight > 0) learns from; same inputs and classes. */
  teacher?: tfl.LayersModel;
  /** Report progress every this many steps (and at the last step). */
  progressEverySteps?: number;
  signal?: AbortSignal;
}

export interface TrainResult {
  steps: number;
  resumedFromStep: number;
  finalLoss: number;
  finalAccuracy: number;
  /** Wall time of this call. */
  seconds: number;
  /**
   * Seconds the job's steps computed, over the attempts it resumed from (their checkpointed steps;
   * steps a crash lost are computed again and counted once): what its energy is estimated from.
   * Time spent waiting (another job's steps in the same thread) is not in it. NaN when it resumed
   * from a checkpoint that did not record it.
   */
  computeSeconds: number;
  /**
   * How the last step ran: 'graph' (one TensorFlow graph per step, from the fourth step of a job on
   * native TensorFlow), 'tracing' (a job of three steps or fewer), 'eager: <why not a graph>' (for
   * instance 'eager: not on native TensorFlow'), or 'data-parallel replicas' (op by op).
   */
  stepExecution: string;
}

export class TrainingAborted extends CancelledError {
  override name = 'TrainingAborted';
}

export async function trainModel(options: TrainOptions): Promise<TrainResult> {
  const config = resolveTrainConfig(options.config);
  const { model, data } = options;
  if (config.augment && data.pixels instanceof Float32Array)
    throw new InvalidArgumentError(
      'augment: crops and flips are image augmentation and do not apply to float features (a CSV); set augment to false',
    );
  const batch = Math.min(config.batchSize, data.count);
  if (config.dataParallelReplicas > batch)
    throw new InvalidArgumentError(
      `dataParallelReplicas: ${config.dataParallelReplicas} replicas need a batch of at least ${config.dataParallelReplicas} examples; the data has ${data.count}`,
    );
  const stepsPerEpoch = Math.max(1, Math.floor(data.count / batch));
  const totalSteps = config.steps > 0 ? config.steps : config.epochs * stepsPerEpoch;
  // The architecture (not the initial weights: a restarted process may build them differently).
  const architecture = model.layers.map((l) => [l.name, l.getClassName(), l.outputShape]);
  // Distillation and replicas enter the key only when used: checkpoints written before they
  // existed still resume.
  const { distillationWeight, distillationTemperature, dataParallelReplicas: replicas, ...plain } = config;
  const keyed = {
    ...plain,
    ...(distillationWeight > 0 ? { distillationWeight, distillationTemperature } : {}),
    ...(replicas > 1 ? { dataParallelReplicas: replicas } : {}),
  };
  const configKey = createHash('sha256')
    .update(JSON.stringify({ config: keyed, count: data.count, architecture }))
    .digest('hex');
  // Its learning rate is a variable, so a training step compiled to a graph follows the schedule.
  const optimizer = new VariableRateMomentum(config.learningRate, config.momentum, config.nesterov);
  const step0 = options.checkpointDir ? await restoreCheckpoint(options.checkpointDir, model, optimizer) : undefined;
  if (step0 && step0.configKey !== configKey) {
    throw new FailedPreconditionError(
      `checkpoint in ${options.checkpointDir} was written by a job with another configuration; use a new job id`,
    );
  }
  const teacher =
    config.distillationWeight > 0
      ? {
          model: checkedTeacher(options),
          weight: config.distillationWeight,
          temperature: config.distillationTemperature,
        }
      : undefined;
  const preprocessing = requirePreprocessing(options.metadata);
  const { height: h, width: w, channels: c } = data;
  type Step = (
    pixels: Uint8Array | Float32Array,
    labels: Uint8Array,
    learningRate: number,
    index: number,
  ) => Promise<TrainStepResult>;
  let single: TrainStep | undefined;
  const oneReplica = (): Step => {
    const step = (single = makeTrainStep(model, optimizer, {
      weightDecay: config.weightDecay,
      decayedWeights: decayedWeights(model),
      ...(teacher ? { teacher } : {}),
    }));
    return async (pixels, labels, _, index) =>
      withBatchTensors(pixels, labels, [labels.length, h, w, c], preprocessing, (x, y) => step(x, y, index));
  };
  // One replica trains here; more split every batch across threads (replicas.ts).
  let parallel: DataParallelStep | undefined;
  const dataParallel = async (): Promise<Step> => {
    const { signal } = options;
    const group = await DataParallelStep.start(replicas, model, optimizer, {
      weightDecay: config.weightDecay,
      preprocessing,
      ...(teacher ? { teacher } : {}),
      ...(signal ? { signal } : {}),
    });
    parallel = group;
    return (pixels, labels, learningRate) => group.step(pixels, labels, [labels.length, h, w, c], learningRate, signal);
  };
  const started = performance.now();
  let windowStart = performance.now();
  let windowImages = 0;
  let last = { loss: NaN, accuracy: NaN };
  let computeSeconds = step0 ? (step0.computeSeconds ?? NaN) : 0;
  let order: Uint32Array | undefined;
  let stepExecution = '';
  let orderEpoch = -1;
  try {
    const trainStep = replicas > 1 ? await dataParallel() : oneReplica();
    for (let step = step0?.step ?? 0; step < totalSteps; step++) {
      // Lets a cancel (a gRPC event, a message to a compute worker) arrive between steps.
      if (options.signal) await new Promise((resolve) => setImmediate(resolve));
      if (options.signal?.aborted) throw new TrainingAborted(`training stopped at step ${step} of ${totalSteps}`);
      const stepStarted = performance.now();
      const epoch = Math.floor(step / stepsPerEpoch);
      if (epoch !== orderEpoch) {
        order = epochOrder(data.count, config.seed, epoch);
        orderEpoch = epoch;
      }
      const first = (step % stepsPerEpoch) * batch;
      const indices = order!.subarray(first, first + batch);
      // Augmentation randomness depends only on (seed, step): a resumed job draws the same crops.
      const random = config.augment ? seededRandom((config.seed * 7919 + step * 104729) >>> 0) : undefined;
      const { pixels, labels } = gatherBatch(data, indices, random);
      const learningRate = learningRateAt(config, step, totalSteps);
      optimizer.setLearningRate(learningRate);
      last = await trainStep(pixels, labels, learningRate, step);
      computeSeconds += (performance.now() - stepStarted) / 1000;
      if (!Number.isFinite(last.loss)) {
        throw new FailedPreconditionError(
          `training diverged: the loss is ${last.loss} at step ${step + 1} of ${totalSteps} (learning rate ${learningRate}); lower the learning rate`,
        );
      }
      windowImages += indices.length;
      const done = step + 1;
      if (options.onProgress && (done % (options.progressEverySteps ?? 10) === 0 || done === totalSteps)) {
        const now = performance.now();
        options.onProgress({
          epoch: Math.floor(step / stepsPerEpoch) + 1,
          step: done,
          totalSteps,
          ...last,
          imagesPerSecond: windowImages / ((now - windowStart) / 1000),
          learningRate,
          etaSeconds: (((now - started) / 1000) * (totalSteps - done)) / (done - (step0?.step ?? 0)),
        });
        windowStart = now;
        windowImages = 0;
      }
      const epochEnd = done % stepsPerEpoch === 0;
      const periodic = options.checkpointEverySteps && done % options.checkpointEverySteps === 0;
      if (options.checkpointDir && (epochEnd || periodic || done === totalSteps)) {
        parallel?.flush();
        await writeCheckpoint(options.checkpointDir, model, options.metadata, optimizer, {
          step: done,
          configKey,
          computeSeconds,
        });
      }
    }
    parallel?.flush();
    const bad = firstNonFiniteWeight(model);
    if (bad)
      throw new FailedPreconditionError(`training diverged: after ${totalSteps} steps ${bad}; lower the learning rate`);
  } finally {
    await parallel?.close();
    stepExecution = parallel ? 'data-parallel replicas' : (single?.state() ?? '');
    single?.dispose();
    optimizer.dispose();
  }
  return {
    steps: totalSteps,
    resumedFromStep: step0?.step ?? 0,
    finalLoss: last.loss,
    finalAccuracy: last.accuracy,
    seconds: (performance.now() - started) / 1000,
    computeSeconds,
    stepExecution,
  };
}

/** The teacher of a distilling fine-tune, checked against the student: the same input and classes. */
function checkedTeacher(options: TrainOptions): tfl.LayersModel {
  const { teacher, model } = options;
  if (!teacher)
    throw new InvalidArgumentError("distillationWeight: distilling needs a teacher model (the run's original model)");
  const shape = (m: tfl.LayersModel) => JSON.stringify([m.inputs[0]!.shape.slice(1), m.outputs[0]!.shape.slice(1)]);
  if (shape(teacher) !== shape(model))
    throw new InvalidArgumentError(
      `teacher: takes and gives ${shape(teacher)} (input, output shapes), the model being trained ${shape(model)}`,
    );
  return teacher;
}
