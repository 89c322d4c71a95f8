export { checkPair, checkRepresentation, matrix, SimilarityInputError } from './matrix.js';
export type { Matrix } from './matrix.js';
export {
  kernelCka,
  LINEAR_CKA_FLOAT64_LIMIT,
  linearCka,
  linearCkaFloat64,
  linearCkaGram,
  linearCkaTensor,
  minibatchLinearCka,
  rbfCka,
  unbiasedHsic,
} from './cka.js';
export { procrustesSimilarity, symmetricEigen, symmetricEigenvalues } from './procrustes.js';
export { partialWhiteningShapeSimilarity } from './shape-metric.js';
export {
  gaussianStochasticShapeSimilarity,
  maximumAssignment,
  polarFactor,
  wassersteinStochasticShapeSimilarity,
} from './stochastic-shape.js';
export { CKA_METRICS, PROCRUSTES_METRICS, resolveParameters, STOCHASTIC_SAMPLING } from './metrics.js';
export type { SimilarityMetric, StochasticSampling } from './metrics.js';
export { registerSimilarityMetric, similarityMetricByName, similarityMetrics } from './metric-registry.js';
