// The walk's operations done in this process with the libraries (no network): used by tests,
// scripts, and as the reference the coordinator's gRPC ports must agree with.
import type { tf, tfl } from '@prune/compute';
import { criterionParameters, type Criterion } from '@prune/criteria';
import type { LabeledImages } from '@prune/data';
import type { ModelMetadata } from '@prune/models';
import type { ScoredBlock, ScoredFilter, WalkPorts } from '@prune/pruning';
import { matrix, resolveParameters, type SimilarityMetric } from '@prune/similarity-metrics';
import { evaluateModel, extractRepresentations, trainModel, type TrainConfig } from '@prune/training';
import { makeFilterCandidate, makeLayerCandidate } from './candidates.js';
import { inspectModel } from './inspect-model.js';

export interface LocalPortsOptions {
  metadata: ModelMetadata;
  train: LabeledImages;
  validation: LabeledImages;
  test: LabeledImages;
  /** Preprocessed calibration images (class-balanced, from the training split). */
  calibration: tf.Tensor4D;
  criterion: Criterion;
  /** The criterion's own parameters (its defaults fill the rest). */
  criterionParameters?: Record<string, number>;
  metric: SimilarityMetric;
  metricParameters?: Record<string, number>;
  candidateFineTune: Partial<TrainConfig>;
  selectedFineTune: Partial<TrainConfig>;
  seed?: number;
  /** The teacher of distilling fine-tunes (distillationWeight > 0), e.g. the original model. */
  teacher?: tfl.LayersModel;
}

export function localWalkPorts(o: LocalPortsOptions): WalkPorts<tfl.LayersModel> {
  const context = {
    calibration: o.calibration,
    seed: o.seed,
    parameters: criterionParameters(o.criterion, o.criterionParameters),
  };
  // A stochastic metric's representations answer each example several times, as it asks.
  const representation = async (model: tfl.LayersModel) => {
    const r = await extractRepresentations(model, o.metadata, o.validation, undefined, undefined, o.metric.stochastic);
    return matrix(r.rows, r.columns, r.data);
  };
  return {
    cost: async (model) => inspectModel(model).cost,
    widths: async (model) => inspectModel(model).widths,
    removableBlocks: async (model) => inspectModel(model).removableBlocks.length,
    removableFilters: async (model) => inspectModel(model).removableFilters,
    scoreBlocks: async (model) =>
      o.criterion.scoreBlocks(model, context).map((s): ScoredBlock => ({ id: s.id, score: s.score })),
    scoreFilters: async (model) =>
      o.criterion
        .scoreFilters(model, context)
        .flatMap((s): ScoredFilter[] =>
          s.kind === 'filter' ? [{ id: s.id, channel: s.channel, score: s.score }] : [],
        ),
    layerCandidate: (parent, scores, blocks) => makeLayerCandidate(parent, scores, blocks),
    filterCandidate: (parent, scores, budget) => makeFilterCandidate(parent, scores, budget),
    fineTune: async (model, phase) => {
      const { computeSeconds: seconds } = await trainModel({
        model,
        metadata: o.metadata,
        data: o.train,
        config: phase === 'candidate' ? o.candidateFineTune : o.selectedFineTune,
        teacher: o.teacher,
      });
      return { model, seconds };
    },
    similarity: async (parent, child) =>
      o.metric.compute(
        await representation(parent),
        await representation(child),
        resolveParameters(o.metric, o.metricParameters ?? {}),
        o.metric.stochastic?.samplesPerExample,
      ),
    accuracy: async (model, split) =>
      (await evaluateModel(model, o.metadata, split === 'validation' ? o.validation : o.test)).accuracy,
  };
}
