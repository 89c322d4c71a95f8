// The built-in named metrics a similarity service can offer, by family (each family is one
// similarity service process). A new metric is one file and one registerSimilarityMetric call
// (metric-registry.ts); CKA-family metrics over a new kernel can use kernelCka.
import { linearCka, linearCkaGram, minibatchLinearCka, rbfCka } from './cka.js';
import type { Matrix } from './matrix.js';
import { resolveParameters as resolveDeclaredParameters, type ParameterBounds } from '@prune/errors';
import { procrustesSimilarity } from './procrustes.js';
import { partialWhiteningShapeSimilarity } from './shape-metric.js';
import { gaussianStochasticShapeSimilarity, wassersteinStochasticShapeSimilarity } from './stochastic-shape.js';

/**
 * How a stochastic metric wants each example answered: `samplesPerExample` responses of the model
 * to the example plus Gaussian noise of `inputNoise` times the input's standard deviation (a
 * deterministic network made stochastic at its input), as consecutive rows.
 */
export interface StochasticSampling {
  samplesPerExample: number;
  inputNoise: number;
}

/** Duong et al.'s metrics compare 8 noisy responses per example, noise at 10% of the input's spread. */
export const STOCHASTIC_SAMPLING: StochasticSampling = { samplesPerExample: 8, inputNoise: 0.1 };

export interface SimilarityMetric {
  name: string;
  description: string;
  /** Numeric parameters with defaults. */
  parameters: Record<string, number>;
  /** The values a bounded parameter accepts (checked for every request, and at StartRun). */
  bounds?: Record<string, ParameterBounds>;
  /** Examples (for a stochastic metric, each is samplesPerExample rows). */
  minRows: number;
  /** Set for metrics of stochastic responses; absent: one row per example. */
  stochastic?: StochasticSampling;
  /** `samplesPerExample`: the rows per example of a stochastic metric's input (MetricInfo.stochastic). */
  compute(x: Matrix, y: Matrix, parameters: Record<string, number>, samplesPerExample?: number): number;
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
    bounds: { threshold: { min: 0, minExclusive: true } },
    minRows: 2,
    compute: (x, y, p) => rbfCka(x, y, { threshold: p['threshold'] }),
  },
  {
    name: 'minibatch_cka',
    description:
      'Minibatch linear CKA (Nguyen et al. 2021): unbiased HSIC summed over consecutive batches; O(batch^2) memory',
    parameters: { batch_size: 32 },
    bounds: { batch_size: { min: 4, integer: true } },
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
    bounds: { alpha: { min: 0, max: 1 } },
    minRows: 2,
    compute: (x, y, p) => partialWhiteningShapeSimilarity(x, y, p['alpha']!),
  },
  {
    name: 'gaussian_shape_metric',
    description:
      'Stochastic shape metric of Gaussian responses (Duong et al. 2023): alpha 1 is their 2-Wasserstein distance, 2 compares means only, 0 covariances only; 1 - d^2/2, in [0, 1]',
    parameters: { alpha: 1 },
    bounds: { alpha: { min: 0, max: 2 } },
    minRows: 2,
    stochastic: STOCHASTIC_SAMPLING,
    compute: (x, y, p, k = 0) => gaussianStochasticShapeSimilarity(x, y, k, p['alpha']),
  },
  {
    name: 'wasserstein_shape_metric',
    description:
      'Stochastic shape metric (Duong et al. 2023) with the exact 2-Wasserstein distance between the sampled responses (optimal assignment); 1 - d^2/2, in [0, 1]',
    parameters: {},
    minRows: 2,
    stochastic: STOCHASTIC_SAMPLING,
    compute: (x, y, _, k = 0) => wassersteinStochasticShapeSimilarity(x, y, k),
  },
];

/** Validates parameters (unknown names, non-finite values) and fills defaults. */
export function resolveParameters(metric: SimilarityMetric, given: Record<string, number>): Record<string, number> {
  return resolveDeclaredParameters(metric.name, metric.parameters, given, 'parameters', metric.bounds);
}
