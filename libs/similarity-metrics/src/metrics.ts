// The built-in named metrics a similarity service can offer, by family (each family is one
// similarity service process). A new metric is one file and one registerSimilarityMetric call
// (metric-registry.ts); CKA-family metrics over a new kernel can use kernelCka.
import { linearCka, linearCkaGram, minibatchLinearCka, rbfCka } from './cka.js';
import type { Matrix } from './matrix.js';
import { resolveParameters as resolveDeclaredParameters } from '@prune/errors';
import { procrustesSimilarity } from './procrustes.js';
import { partialWhiteningShapeSimilarity } from './shape-metric.js';

export interface SimilarityMetric {
  name: string;
  description: string;
  /** Numeric parameters with defaults. */
  parameters: Record<string, number>;
  minRows: number;
  compute(x: Matrix, y: Matrix, parameters: Record<string, number>): number;
}

export const CKA_METRICS: readonly SimilarityMetric[] = [
  {
    name: 'linear_cka',
    description: 'Linear CKA (Kornblith et al. 2019), feature-space form, O(n p^2)',
    parameters: {},
    minRows: 2,
    compute: (x, y) => linearCka(x, y),
  },
  {
    name: 'linear_cka_debiased',
    description: 'Linear CKA with the unbiased HSIC estimator (Song et al. 2012); O(n^2) memory',
    parameters: {},
    minRows: 4,
    compute: (x, y) => linearCkaGram(x, y, { debiased: true }),
  },
  {
    name: 'rbf_cka',
    description: 'RBF-kernel CKA, bandwidth = threshold x median pairwise distance; O(n^2) memory',
    parameters: { threshold: 1 },
    minRows: 2,
    compute: (x, y, p) => rbfCka(x, y, { threshold: p['threshold'] }),
  },
  {
    name: 'minibatch_cka',
    description:
      'Minibatch linear CKA (Nguyen et al. 2021): unbiased HSIC summed over consecutive batches; O(batch^2) memory',
    parameters: { batch_size: 32 },
    minRows: 4,
    compute: (x, y, p) => minibatchLinearCka(x, y, { batchSize: p['batch_size'] }),
  },
];

export const PROCRUSTES_METRICS: readonly SimilarityMetric[] = [
  {
    name: 'procrustes',
    description:
      'Orthogonal Procrustes shape similarity (Williams et al. 2021): nuclear norm of the normalized cross-covariance, in [0, 1]',
    parameters: {},
    minRows: 2,
    compute: (x, y) => procrustesSimilarity(x, y),
  },
  {
    name: 'shape_metric',
    description:
      'Linear shape metric with partial whitening (Williams et al. 2021): alpha 1 is procrustes, 0 is CCA; cosine of the angular distance, in [0, 1]',
    parameters: { alpha: 0.5 },
    minRows: 2,
    compute: (x, y, p) => partialWhiteningShapeSimilarity(x, y, p['alpha']!),
  },
];

/** Validates parameters (unknown names, non-finite values) and fills defaults. */
export function resolveParameters(metric: SimilarityMetric, given: Record<string, number>): Record<string, number> {
  return resolveDeclaredParameters(metric.name, metric.parameters, given);
}
