// The walk's operations through the services' contracts: models are artifact references, every
// call has a deadline and is retried on UNAVAILABLE, and goes to the least busy replica of its
// service (replicas.ts; the sets are the coordinator's, shared by all its runs).
// Facts about a model (cost, removable blocks, widths) come from the candidates service, which owns
// models: a candidate's cost is the one MakeCandidate reported, any other model is asked with
// Inspect. The coordinator itself never loads a model.
import { status } from '@grpc/grpc-js';
import {
  AssessRequest,
  type CandidatesServiceClient,
  type CriterionServiceClient,
  EvaluateRequest,
  ExtractRepresentationsRequest,
  InspectRequest,
  MakeCandidateRequest,
  ScoreRequest,
  StructureKind,
  type TrainerServiceClient,
  TrainRequest,
  type ArtifactRef,
  type Assessment,
  type AssessmentConfig,
  type Cost,
  type InspectResponse,
  type StochasticSampling,
  type MakeCandidateResponse,
  type TrainConfig,
  type TrainResponse,
} from '@prune/contracts';
import { costOf, type FineTuned, type WalkPorts } from '@prune/pruning';
import { AsyncCache, callUnary, withRetry, type RetryOptions } from '@prune/service-kit';
import type { SimilarityRegistry } from './similarity-registry.js';
import type { Replicas } from './replicas.js';

/** The replicas of each service a walk calls; their owner closes them. */
export interface WalkServices {
  trainers: Replicas<TrainerServiceClient>;
  criteria: Replicas<CriterionServiceClient>;
  candidates: Replicas<CandidatesServiceClient>;
}

export interface GrpcPortsOptions {
  services: WalkServices;
  similarity: Pick<SimilarityRegistry, 'compare'> & {
    sampling(metric: string): Promise<StochasticSampling | undefined>;
  };
  /** Dataset family: its train, validation and test splits are used. */
  dataset: string;
  criterionName: string;
  /** The criterion's own parameters (checked against ListCriteria at StartRun). */
  criterionParameters?: Record<string, number>;
  metric: string;
  /** The metric's own parameters (checked against Describe at StartRun). */
  metricParameters?: Record<string, number>;
  /** 0: the criterion service's default. */
  calibrationExamples: number;
  validationExamples: number;
  testExamples: number;
  /** The run's fine-tunes, complete (run-config.ts fills them in). */
  candidateFineTune: Partial<TrainConfig>;
  selectedFineTune: Partial<TrainConfig>;
  seed: number;
  /** The teacher of distilling fine-tunes (their distillationWeight > 0): the model the run started from. */
  teacher?: ArtifactRef;
  /** Assess the parent and every kept model on the test split so; unset: no assessment. */
  assessment?: AssessmentConfig;
  retry?: RetryOptions;
  deadlineMs?: number;
  /** Progress of each fine-tune, as its trainer streams it. */
  onProgress?: (jobId: string, fraction: number, detail: string) => void;
  /** Aborting cancels the calls in flight (the trainer stops the job at its next step). */
  signal?: AbortSignal;
}

/** A short duration for progress lines: "45s", "3m05s". */
function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function grpcWalkPorts(o: GrpcPortsOptions): WalkPorts<ArtifactRef, Assessment> {
  const { trainers, criteria, candidates } = o.services;
  const deadline = o.deadlineMs ?? 3_600_000;
  const retry = <T>(call: () => Promise<T>) => withRetry(call, o.retry);
  const split = (name: string, maxExamples: number) => ({ uri: `${o.dataset}:${name}`, maxExamples, seed: o.seed });
  const inspected = new AsyncCache<InspectResponse>();
  const inspect = (model: ArtifactRef) =>
    inspected.get(model.uri, () =>
      retry(() => candidates.next((c) => callUnary(c, c.inspect, InspectRequest.fromPartial({ model }), deadline))),
    );
  // Costs MakeCandidate reported, of its candidates and their parents, by model URI.
  const reported = new Map<string, Cost>();
  const makeCandidate = async (request: MakeCandidateRequest): Promise<MakeCandidateResponse> => {
    const made = await retry(() => candidates.next((c) => callUnary(c, c.makeCandidate, request, deadline)));
    if (made.cost) reported.set(made.model!.uri, made.cost);
    if (made.parentCost) reported.set(request.parent!.uri, made.parentCost);
    return made;
  };
  const score = async (model: ArtifactRef, kind: StructureKind) =>
    (
      await retry(() =>
        criteria.next((c) =>
          callUnary(
            c,
            c.score,
            ScoreRequest.fromPartial({
              model,
              criterion: o.criterionName,
              kind,
              calibration: split('train', o.calibrationExamples),
              seed: o.seed,
              parameters: o.criterionParameters,
            }),
            deadline,
          ),
        ),
      )
    ).scores;
  /** One fine-tune on `trainer`: its result once the stream ends, its progress as it streams. */
  const trainOn = (trainer: TrainerServiceClient, request: TrainRequest) =>
    new Promise<FineTuned<ArtifactRef>>((resolve, reject) => {
      const { jobId } = request;
      // A retry that comes after the run was cancelled starts nothing (the abort listener would never fire).
      if (o.signal?.aborted)
        return reject(Object.assign(new Error(`job ${jobId}: the run was cancelled`), { code: status.CANCELLED }));
      let result: FineTuned<ArtifactRef> | undefined;
      const stream = trainer.train(request, { deadline: Date.now() + deadline });
      const cancel = () => stream.cancel();
      o.signal?.addEventListener('abort', cancel, { once: true });
      stream.on('data', (event: TrainResponse) => {
        const { event: answer } = event;
        if (answer?.$case === 'result' && answer.value.model)
          // 0: a trainer from before compute seconds were reported (steps always take time): unknown.
          result = { model: answer.value.model, seconds: answer.value.computeSeconds || NaN };
        if (event.event?.$case === 'progress') {
          const p = event.event.value;
          o.onProgress?.(
            jobId,
            p.totalSteps ? p.step / p.totalSteps : 0,
            `step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)} ${p.imagesPerSecond.toFixed(0)} img/s ` +
              `~${duration(p.etaSeconds)} left`,
          );
        }
      });
      stream.on('error', reject);
      stream.on('close', () => o.signal?.removeEventListener('abort', cancel));
      stream.on('end', () =>
        result ? resolve(result) : reject(new Error(`trainer ended job ${jobId} without a result`)),
      );
    });
  const train = (model: ArtifactRef, config: Partial<TrainConfig>, jobId: string) => {
    const request = TrainRequest.fromPartial({
      jobId,
      model,
      trainData: split('train', 0),
      config,
      ...(config.distillationWeight ? { teacher: o.teacher } : {}),
    });
    return retry(() => trainers.next((trainer) => trainOn(trainer, request)));
  };
  const representation = async (model: ArtifactRef, stochastic?: StochasticSampling) => {
    const request = ExtractRepresentationsRequest.fromPartial({
      model,
      data: split('validation', o.validationExamples),
      stochastic,
    });
    const response = await retry(() => trainers.next((t) => callUnary(t, t.extractRepresentations, request, deadline)));
    return response.representation!;
  };
  const assess = async (model: ArtifactRef, config: AssessmentConfig) => {
    // The test split, as many images as the configuration asks (the trainer's default when unset),
    // drawn by the assessment's seed: every run assessed so sees the same images.
    const data = { uri: `${o.dataset}:test`, maxExamples: config.examples, seed: config.seed };
    const request = AssessRequest.fromPartial({ model, data, config });
    const { assessment } = await retry(() => trainers.next((t) => callUnary(t, t.assess, request, deadline)));
    if (!assessment) throw new Error(`trainer: Assess of ${model.uri} answered without an assessment`);
    return assessment;
  };
  return {
    cost: async (model) => {
      const cost = reported.get(model.uri) ?? (await inspect(model)).cost;
      if (!cost) throw new Error(`candidates service: Inspect of ${model.uri} answered without a cost`);
      return costOf(cost);
    },
    widths: async (model) => (await inspect(model)).widths,
    removableBlocks: async (model) => (await inspect(model)).removableBlocks.length,
    removableFilters: async (model) => (await inspect(model)).removableFilters,
    scoreBlocks: async (model) =>
      (await score(model, StructureKind.STRUCTURE_KIND_BLOCK)).map((s) => ({ id: s.structureId, score: s.score })),
    scoreFilters: async (model) =>
      (await score(model, StructureKind.STRUCTURE_KIND_FILTER)).map((s) => ({
        id: s.structureId,
        channel: s.channel,
        score: s.score,
      })),
    layerCandidate: async (parent, scores, blocks) => {
      const request = MakeCandidateRequest.fromPartial({
        parent,
        kind: StructureKind.STRUCTURE_KIND_BLOCK,
        scores: scores.map((s) => ({ kind: StructureKind.STRUCTURE_KIND_BLOCK, structureId: s.id, score: s.score })),
        budget: { amount: { $case: 'blocks', value: blocks } },
      });
      const made = await makeCandidate(request);
      return { model: made.model!, removed: made.removed, removedFilters: made.removedFilters };
    },
    filterCandidate: async (parent, scores, budget) => {
      const request = MakeCandidateRequest.fromPartial({
        parent,
        kind: StructureKind.STRUCTURE_KIND_FILTER,
        scores: scores.map((s) => ({
          kind: StructureKind.STRUCTURE_KIND_FILTER,
          structureId: s.id,
          channel: s.channel,
          score: s.score,
        })),
        budget: {
          amount:
            'filters' in budget ? { $case: 'filters', value: budget.filters } : { $case: 'macs', value: budget.macs },
        },
      });
      const made = await makeCandidate(request);
      return { model: made.model!, removed: made.removed };
    },
    fineTune: (model, phase, jobId) =>
      train(model, phase === 'candidate' ? o.candidateFineTune : o.selectedFineTune, jobId),
    similarity: async (parent, child) => {
      // A stochastic metric's representations answer each example several times, as it asks.
      const sampling = await o.similarity.sampling(o.metric);
      const [x, y] = await Promise.all([representation(parent, sampling), representation(child, sampling)]);
      return (await o.similarity.compare(o.metric, x, y, o.metricParameters)).similarity;
    },
    accuracy: async (model, which) => {
      const data = which === 'validation' ? split('validation', o.validationExamples) : split('test', o.testExamples);
      return (
        await retry(() =>
          trainers.next((t) => callUnary(t, t.evaluate, EvaluateRequest.fromPartial({ model, data }), deadline)),
        )
      ).accuracy;
    },
    ...(o.assessment ? { assess: (model: ArtifactRef) => assess(model, o.assessment!) } : {}),
  };
}
