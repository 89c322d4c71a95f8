// A pruning criterion scores every removable structure of a model; lower = less important.
// Each criterion is one file implementing this interface and one entry in CRITERIA.
import type { tf, tfl } from '@prune/compute';

export interface BlockScore {
  kind: 'block';
  id: string;
  score: number;
}

export interface FilterScore {
  kind: 'filter';
  /** Filter group id (the producing layer). */
  id: string;
  channel: number;
  score: number;
}

export type StructureScore = BlockScore | FilterScore;

export interface ScoringContext {
  /** Preprocessed calibration images (class-balanced, from a training split), for data-driven criteria. */
  calibration?: tf.Tensor4D;
  seed?: number;
}

export interface Criterion {
  name: string;
  description: string;
  needsData: boolean;
  scoreBlocks(model: tfl.LayersModel, context: ScoringContext): StructureScore[];
  scoreFilters(model: tfl.LayersModel, context: ScoringContext): StructureScore[];
}

export class CriterionInputError extends Error {
  override name = 'CriterionInputError';
  readonly code = 'INVALID_ARGUMENT';
}
