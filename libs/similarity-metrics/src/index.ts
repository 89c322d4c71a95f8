export { checkPair, checkRepresentation, matrix, SimilarityInputError } from './matrix.js';
export type { Matrix } from './matrix.js';
export { linearCka, linearCkaGram, minibatchLinearCka, rbfCka, unbiasedHsic } from './cka.js';
export { procrustesSimilarity, symmetricEigenvalues } from './procrustes.js';
export { CKA_METRICS, PROCRUSTES_METRICS, resolveParameters } from './metrics.js';
export type { SimilarityMetric } from './metrics.js';
