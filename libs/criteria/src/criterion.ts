// A pruning criterion scores every removable structure of a model; lower = less important.
// Each criterion is one file implementing this interface and one registerCriterion call
// (registry.ts; the built-in ones are listed there).
import type { tf, tfl } from '@prune/compute';
import { InvalidArgumentError, type ParameterBounds } from '@prune/errors';

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
  /** The criterion's numeric parameters, checked and with defaults filled (see Criterion.parameters). */
  parameters?: Record<string, number>;
  /**
   * Whether the caller gave up: a long criterion checks it between structures and stops with a
   * CancelledError (in a compute worker it reads a flag the service's thread sets at once).
   */
  cancelled?: () => boolean;
}

/** Calibration examples a data-driven criterion scores on when a request names no count. */
export const DEFAULT_CALIBRATION_EXAMPLES = 256;

export interface Criterion {
  name: string;
  description: string;
  needsData: boolean;
  /** Numeric parameters a request may set, with their defaults (none when omitted). */
  parameters?: Record<string, number>;
  /** The values a bounded parameter accepts (checked for every request, and at StartRun). */
  bounds?: Record<string, ParameterBounds>;
  scoreBlocks(model: tfl.LayersModel, context: ScoringContext): StructureScore[];
  scoreFilters(model: tfl.LayersModel, context: ScoringContext): StructureScore[];
}

export class CriterionInputError extends InvalidArgumentError {
  override name = 'CriterionInputError';
}
