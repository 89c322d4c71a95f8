// The linear shape metric with partial whitening (Williams et al. 2021, "Generalized shape metrics
// on neural representations"; netrep's LinearMetric, angular score): each centered representation,
// scaled to unit mean variance (so that isotropic scaling, which does not change a shape, changes
// nothing), is whitened by (alpha I + (1 - alpha) C)^(-1/2), C its covariance, and the two are
// compared as Procrustes does. alpha = 1 is orthogonal Procrustes (no whitening); alpha = 0 is CCA (full
// whitening: invariant to any invertible linear map, and undefined when C is singular). Reported
// as the cosine of the angular shape distance, in [0, 1], like procrustes.
import { centerColumns, checkPair, crossProduct, matrix, SimilarityInputError, type Matrix } from './matrix.js';
import { procrustesSimilarity, symmetricEigen } from './procrustes.js';

/** The centered rows of `m`, at unit mean variance, times (alpha I + (1 - alpha) C)^(-1/2). */
function partiallyWhitened(m: Matrix, alpha: number, name: string): Matrix {
  const { rows: n, cols: p } = m;
  const centered = centerColumns(m);
  const c = crossProduct(centered, p, centered, p, n);
  let trace = 0;
  for (let i = 0; i < p; i++) trace += c[i * p + i]! / n;
  if (!(trace > 0)) throw new SimilarityInputError(`shape_metric: ${name} has no variance`);
  const scale = 1 / Math.sqrt(trace / p);
  for (let i = 0; i < n * p; i++) centered[i]! *= scale;
  for (let i = 0; i < p * p; i++) c[i] = (1 - alpha) * ((c[i]! * scale * scale) / n);
  for (let i = 0; i < p; i++) c[i * p + i]! += alpha;
  const { values, vectors } = symmetricEigen(c, p);
  const largest = Math.max(...values);
  if (values.some((v) => !(v > 1e-12 * largest)))
    throw new SimilarityInputError(
      `shape_metric: ${name}'s covariance is singular (${n} examples of ${p} features, or dependent features): ` +
        'set alpha above 0',
    );
  // W = V diag(values^-1/2) V^T, then the rows times W.
  const w = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += (vectors[i * p + k]! * vectors[j * p + k]!) / Math.sqrt(values[k]!);
      w[i * p + j] = s;
    }
  const out = new Float64Array(n * p);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += centered[r * p + k]! * w[k * p + j]!;
      out[r * p + j] = s;
    }
  return matrix(n, p, out);
}

export function partialWhiteningShapeSimilarity(x: Matrix, y: Matrix, alpha: number): number {
  if (!(alpha >= 0 && alpha <= 1)) throw new SimilarityInputError(`alpha: must be in [0, 1], got ${alpha}`);
  checkPair(x, y, 2);
  return procrustesSimilarity(partiallyWhitened(x, alpha, 'x'), partiallyWhitened(y, alpha, 'y'));
}
