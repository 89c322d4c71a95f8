// Orthogonal Procrustes shape similarity (Williams et al. 2021, "Generalized shape metrics on
// neural representations"): after centering and scaling each representation to unit Frobenius
// norm, the Procrustes distance is d^2 = 2 - 2 ||X^T Y||_* (nuclear norm). We report
// ||X^T Y||_* itself, the cosine of the angular shape distance: 1 when Y is an orthogonal
// transform of X (up to scale and translation), 0 when they are unrelated; always in [0, 1].
import {
  centerColumns,
  checkPair,
  crossProduct,
  frobeniusSquared,
  gram,
  type Matrix,
  SimilarityInputError,
} from './matrix.js';

const MAX_DIMENSION = 2048;

/** Eigenvalues of a symmetric d x d matrix (cyclic Jacobi rotations, float64). */
export function symmetricEigenvalues(a: Float64Array, d: number): Float64Array {
  return symmetricEigen(a, d).values;
}

/**
 * Eigenvalues and eigenvectors of a symmetric d x d matrix (cyclic Jacobi rotations, float64):
 * `vectors` is d x d, row-major, eigenvector i in column i.
 */
export function symmetricEigen(a: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += m[p * d + q]! ** 2;
    if (off < 1e-30 * Math.max(1, frobeniusSquared(m))) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * d + q]! - m[p * d + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = m[k * d + p]!;
          const akq = m[k * d + q]!;
          m[k * d + p] = c * akp - s * akq;
          m[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = m[p * d + k]!;
          const aqk = m[q * d + k]!;
          m[p * d + k] = c * apk - s * aqk;
          m[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!;
          const vkq = v[k * d + q]!;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: d }, (_, i) => m[i * d + i]!), vectors: v };
}

/** f(A) = V diag(f(lambda)) V^T for a symmetric d x d matrix A = V diag(lambda) V^T. */
export function symmetricMatrixFunction(a: Float64Array, d: number, f: (lambda: number) => number): Float64Array {
  const { values, vectors } = symmetricEigen(a, d);
  const fv = values.map(f);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += vectors[i * d + k]! * fv[k]! * vectors[j * d + k]!;
      out[i * d + j] = s;
    }
  return out;
}

export function procrustesSimilarity(x: Matrix, y: Matrix): number {
  checkPair(x, y, 2);
  const d = Math.min(x.cols, y.cols);
  if (d > MAX_DIMENSION)
    throw new SimilarityInputError(
      `procrustes: representations of ${d} columns are more than the supported ${MAX_DIMENSION}`,
    );
  const xc = centerColumns(x);
  const yc = centerColumns(y);
  const nx = Math.sqrt(frobeniusSquared(xc));
  const ny = Math.sqrt(frobeniusSquared(yc));
  // A = X^T Y; the nuclear norm is the sum of square roots of the eigenvalues of the smaller of A A^T, A^T A.
  const [small, smallCols, big, bigCols] = x.cols <= y.cols ? [xc, x.cols, yc, y.cols] : [yc, y.cols, xc, x.cols];
  const a = crossProduct(small, smallCols, big, bigCols, x.rows); // smallCols x bigCols
  const aat = gram(a, smallCols, bigCols); // A A^T
  let nuclear = 0;
  for (const ev of symmetricEigenvalues(aat, smallCols)) nuclear += Math.sqrt(Math.max(0, ev));
  return Math.min(1, Math.max(0, nuclear / (nx * ny)));
}
