// The named metrics a similarity service can offer: one entry per metric, so a new metric is
// one new entry (and, if it is not CKA, one new file).
import { linearCka, linearCkaGram, minibatchLinearCka, rbfCka } from './cka.js';
import { SimilarityInputError, type Matrix } from './matrix.js';
import { procrustesSimilarity } from './procrustes.js';

export interface SimilarityMetric {
  name: string;
  description: string;
  /** Numeric parameters with defaults. */
  parameters: Record<string, number>;
  minRows: number;
  compute(x: Matrix, y: Matrix, parameters: Record<string, number>): number;
}

export const CKA_METRICS: SimilarityMetric[] = [
  { name: 'linear_cka', description: 'Linear CKA (Kornblith et al. 2019), feature-space form, O(n p^2)', parameters: {}, minRows: 2, compute: (x, y) => linearCka(x, y) },
  { name: 'linear_cka_debiased', description: 'Linear CKA with the unbiased HSIC estimator (Song et al. 2012); O(n^2) memory', parameters: {}, minRows: 4, compute: (x, y) => linearCkaGram(x, y, { debiased: true }) },
  { name: 'rbf_cka', description: 'RBF-kernel CKA, bandwidth = threshold x median pairwise distance; O(n^2) memory', parameters: { threshold: 1 }, minRows: 2, compute: (x, y, p) => rbfCka(x, y, { threshold: p['threshold'] }) },
  {
    name: 'minibatch_cka',
    description: 'Minibatch linear CKA (Nguyen et al. 2021): unbiased HSIC summed over consecutive batches; O(batch^2) memory',
    parameters: { batch_size: 32 },
    minRows: 4,
    compute: (x, y, p) => minibatchLinearCka(x, y, { batchSize: p['batch_size'] }),
  },
];

export const PROCRUSTES_METRICS: SimilarityMetric[] = [
  {
    name: 'procrustes',
    description: 'Orthogonal Procrustes shape similarity (Williams et al. 2021): nuclear norm of the normalized cross-covariance, in [0, 1]',
    parameters: {},
    minRows: 2,
    compute: (x, y) => procrustesSimilarity(x, y),
  },
];

/** Validates parameters (unknown names, non-finite values) and fills defaults. */
export function resolveParameters(metric: SimilarityMetric, given: Record<string, number>): Record<string, number> {
  for (const [name, value] of Object.entries(given)) {
    if (!(name in metric.parameters)) {
      throw new SimilarityInputError(`parameters.${name}: ${metric.name} has ${Object.keys(metric.parameters).length ? `parameters ${Object.keys(metric.parameters).join(', ')}` : 'no parameters'}`);
    }
    if (!Number.isFinite(value)) throw new SimilarityInputError(`parameters.${name}: must be a finite number, got ${value}`);
  }
  return { ...metric.parameters, ...given };
}
