// The linear shape metric with partial whitening of Williams et al. 2021 ("Generalized shape
// metrics on neural representations"), as their netrep library computes it (LinearMetric, angular
// score): each centered representation X is multiplied by V diag(alpha + (1 - alpha) lambda^-1/2) V^T,
// V and lambda the eigenvectors and values of X^T X (values clipped at 1e-7, as netrep does), and the
// two are compared as Procrustes does. alpha = 1 is orthogonal Procrustes; alpha = 0 whitens fully
// (CCA: invariant to any invertible linear map). Between the two the mix weighs alpha against X^T X's
// scale, as netrep's does. Reported as the cosine of the angular distance, in [0, 1], like procrustes.
import { centerColumns, checkPair, crossProduct, matrix, SimilarityInputError, type Matrix } from './matrix.js';
import { procrustesSimilarity, symmetricMatrixFunction } from './procrustes.js';

/** netrep's floor on X^T X's eigenvalues (whiten's eigval_tol). */
const EIGENVALUE_FLOOR = 1e-7;
/** The p x p eigendecomposition costs O(p^3) per sweep: wider representations are refused. */
const MAX_COLUMNS = 2048;

/** The centered rows of `m`, partially whitened. */
function partiallyWhitened(m: Matrix, alpha: number): Matrix {
  const { rows: n, cols: p } = m;
  const centered = centerColumns(m);
  if (alpha > 1 - EIGENVALUE_FLOOR) return matrix(n, p, centered); // no whitening
  const z = symmetricMatrixFunction(crossProduct(centered, p, centered, p, n), p, (v) => {
    return alpha + (1 - alpha) / Math.sqrt(Math.max(v, EIGENVALUE_FLOOR));
  });
  const out = new Float64Array(n * p);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let k = 0; k < p; k++) s += centered[r * p + k]! * z[k * p + j]!;
      out[r * p + j] = s;
    }
  return matrix(n, p, out);
}

export function partialWhiteningShapeSimilarity(x: Matrix, y: Matrix, alpha: number): number {
  if (!(alpha >= 0 && alpha <= 1)) throw new SimilarityInputError(`alpha: must be in [0, 1], got ${alpha}`);
  checkPair(x, y, 2);
  const columns = Math.max(x.cols, y.cols);
  if (columns > MAX_COLUMNS)
    throw new SimilarityInputError(
      `shape_metric: representations of ${columns} columns are more than the supported ${MAX_COLUMNS}`,
    );
  return procrustesSimilarity(partiallyWhitened(x, alpha), partiallyWhitened(y, alpha));
}
