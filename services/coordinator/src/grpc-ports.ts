// The walk's operations through the services' contracts: models are artifact references, every
// call has a deadline and is retried on UNAVAILABLE, fine-tunes rotate over the trainer replicas.
import * as grpc from '@grpc/grpc-js';
import {
  CandidatesServiceClient,
  CriterionServiceClient,
  EvaluateRequest,
  ExtractRepresentationsRequest,
  LrSchedule,
  MakeCandidateRequest,
  ScoreRequest,
  StructureKind,
  TrainerServiceClient,
  TrainRequest,
  type ArtifactRef,
  type TrainConfig,
  type TrainResponse,
} from '@prune/contracts';
import { convWidths, findResidualBlocks, LayerGraph, loadModelArtifact, modelCost, type LayerWidth } from '@prune/models';
import type { WalkPorts } from '@prune/pruning';
import { AsyncCache, callUnary, CLIENT_OPTIONS, withRetry, type RetryOptions, type SimilarityRegistry } from '@prune/service-kit';
import type { ArtifactStore } from '@prune/store';

export interface GrpcPortsOptions {
  store: ArtifactStore;
  /** Replicas of each service: calls rotate over them, and a retry goes to the next one. */
  trainers: string[];
  criterion: string[];
  candidates: string[];
  similarity: Pick<SimilarityRegistry, 'compare'>;
  /** Dataset family: its train, validation and test splits are used. */
  dataset: string;
  criterionName: string;
  metric: string;
  calibrationExamples: number;
  validationExamples: number;
  testExamples: number;
  candidateFineTune: Partial<TrainConfig>;
  selectedFineTune: Partial<TrainConfig>;
  seed: number;
  retry?: RetryOptions;
  deadlineMs?: number;
  /** Progress of each fine-tune, as its trainer streams it. */
  onProgress?: (jobId: string, fraction: number, detail: string) => void;
  /** Aborting cancels the calls in flight (the trainer stops the job at its next step). */
  signal?: AbortSignal;
}

const insecure = grpc.credentials.createInsecure();

export function grpcWalkPorts(o: GrpcPortsOptions): WalkPorts<ArtifactRef> & { close(): void } {
  const trainers = rotation(o.trainers.map((a) => new TrainerServiceClient(a, insecure, CLIENT_OPTIONS)));
  const criteria = rotation(o.criterion.map((a) => new CriterionServiceClient(a, insecure, CLIENT_OPTIONS)));
  const candidateMakers = rotation(o.candidates.map((a) => new CandidatesServiceClient(a, insecure, CLIENT_OPTIONS)));
  const deadline = o.deadlineMs ?? 3_600_000;
  const retry = <T>(call: () => Promise<T>) => withRetry(call, o.retry);
  const split = (name: string, maxExamples: number) => ({ uri: `${o.dataset}:${name}`, maxExamples, seed: o.seed });
  const structure = new AsyncCache<{ macs: number; flops: number; params: number; blocks: number; widths: LayerWidth[] }>();
  const describe = (ref: ArtifactRef) =>
    structure.get(ref.uri, () =>
      loadModelArtifact(o.store, ref, 'model').then(({ model }) => {
        const cost = modelCost(model);
        const blocks = findResidualBlocks(LayerGraph.of(model)).length;
        model.dispose();
        return { macs: cost.macs, flops: cost.flops, params: cost.params, blocks, widths: convWidths(cost) };
      }),
    );
  const score = async (model: ArtifactRef, kind: StructureKind) =>
    (await retry(() => criteria.next((c) => callUnary(c, c.score, ScoreRequest.fromPartial({ model, criterion: o.criterionName, kind, calibration: split('train', o.calibrationExamples), seed: o.seed }), deadline)))).scores;
  const train = (model: ArtifactRef, config: Partial<TrainConfig>, jobId: string) =>
    retry(
      () =>
        new Promise<ArtifactRef>((resolve, reject) => {
          let result: ArtifactRef | undefined;
          const stream = trainers.pick().train(TrainRequest.fromPartial({ jobId, model, trainData: split('train', 0), config: { schedule: LrSchedule.LR_SCHEDULE_COSINE, ...config } }), { deadline: Date.now() + deadline });
          const cancel = () => stream.cancel();
          o.signal?.addEventListener('abort', cancel, { once: true });
          stream.on('data', (event: TrainResponse) => {
            if (event.event?.$case === 'result') result = event.event.value.model;
            if (event.event?.$case === 'progress') {
              const p = event.event.value;
              o.onProgress?.(jobId, p.totalSteps ? p.step / p.totalSteps : 0, `step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)} ${p.imagesPerSecond.toFixed(0)} img/s`);
            }
          });
          stream.on('error', reject);
          stream.on('close', () => o.signal?.removeEventListener('abort', cancel));
          stream.on('end', () => (result ? resolve(result) : reject(new Error(`trainer ended job ${jobId} without a result`))));
        }),
    );
  const representation = async (model: ArtifactRef) => {
    const request = ExtractRepresentationsRequest.fromPartial({ model, data: split('validation', o.validationExamples) });
    const response = await retry(() => trainers.next((t) => callUnary(t, t.extractRepresentations, request, deadline)));
    return response.representation!;
  };
  return {
    cost: async (model) => {
      const { macs, flops, params } = await describe(model);
      return { macs, flops, params };
    },
    widths: async (model) => (await describe(model)).widths,
    removableBlocks: async (model) => (await describe(model)).blocks,
    scoreBlocks: async (model) => (await score(model, StructureKind.STRUCTURE_KIND_BLOCK)).map((s) => ({ id: s.structureId, score: s.score })),
    scoreFilters: async (model) => (await score(model, StructureKind.STRUCTURE_KIND_FILTER)).map((s) => ({ id: s.structureId, channel: s.channel, score: s.score })),
    layerCandidate: async (parent, scores, blocks) => {
      const request = MakeCandidateRequest.fromPartial({
        parent,
        kind: StructureKind.STRUCTURE_KIND_BLOCK,
        scores: scores.map((s) => ({ kind: StructureKind.STRUCTURE_KIND_BLOCK, structureId: s.id, score: s.score })),
        budget: { amount: { $case: 'blocks', value: blocks } },
      });
      const made = await retry(() => candidateMakers.next((c) => callUnary(c, c.makeCandidate, request, deadline)));
      return { model: made.model!, removed: made.removed, removedFilters: made.removedFilters };
    },
    filterCandidate: async (parent, scores, budget) => {
      const request = MakeCandidateRequest.fromPartial({
        parent,
        kind: StructureKind.STRUCTURE_KIND_FILTER,
        scores: scores.map((s) => ({ kind: StructureKind.STRUCTURE_KIND_FILTER, structureId: s.id, channel: s.channel, score: s.score })),
        budget: { amount: 'filters' in budget ? { $case: 'filters', value: budget.filters } : { $case: 'macs', value: budget.macs } },
      });
      const made = await retry(() => candidateMakers.next((c) => callUnary(c, c.makeCandidate, request, deadline)));
      return { model: made.model!, removed: made.removed };
    },
    fineTune: (model, phase, jobId) => train(model, phase === 'candidate' ? o.candidateFineTune : o.selectedFineTune, jobId),
    similarity: async (parent, child) => {
      const [x, y] = await Promise.all([representation(parent), representation(child)]);
      return (await o.similarity.compare(o.metric, x, y)).similarity;
    },
    accuracy: async (model, which) => {
      const data = which === 'validation' ? split('validation', o.validationExamples) : split('test', o.testExamples);
      return (await retry(() => trainers.next((t) => callUnary(t, t.evaluate, EvaluateRequest.fromPartial({ model, data }), deadline)))).accuracy;
    },
    close: () => {
      for (const client of [...trainers.all, ...criteria.all, ...candidateMakers.all]) client.close();
    },
  };
}

/** Round-robin over replicas; each attempt (including a retry) takes the next one. */
function rotation<C>(all: C[]) {
  if (all.length === 0) throw new Error('at least one address per service is required');
  let next = 0;
  const pick = () => all[next++ % all.length]!;
  return { all, pick, next: <T>(call: (client: C) => Promise<T>) => call(pick()) };
}
