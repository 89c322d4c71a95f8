// Centered Kernel Alignment (Kornblith et al. 2019) and minibatch CKA (Nguyen et al. 2021).
// Everything is accumulated in float64 (inputs are float32): results match float64 references
// to ~1e-12, and 10,000 x 4,096 inputs never need an n x n matrix in the feature-space form.
import { tf } from '@prune/compute';
import {
  centerColumns,
  checkPair,
  crossProduct,
  dot,
  frobeniusSquared,
  gram,
  type Matrix,
  SimilarityInputError,
} from './matrix.js';

/** Above this many multiply-adds, linearCka switches from float64 loops to TF.js matrix products. */
export const LINEAR_CKA_FLOAT64_LIMIT = 2e9;

/**
 * Linear CKA in feature space: ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F). O(n p^2).
 * Small problems run in float64; large ones (e.g. 10,000 x 4,096) use float32 matrix products
 * on the active TF.js backend (XNNPACK on wasm), accurate to ~1e-6 relative.
 */
export function linearCka(x: Matrix, y: Matrix): number {
  checkPair(x, y, 2);
  const work = x.rows * (x.cols * x.cols + y.cols * y.cols + x.cols * y.cols);
  return work > LINEAR_CKA_FLOAT64_LIMIT ? linearCkaTensor(x, y) : linearCkaFloat64(x, y);
}

/** linearCka with float64 accumulation throughout. */
export function linearCkaFloat64(x: Matrix, y: Matrix): number {
  checkPair(x, y, 2);
  const xc = centerColumns(x);
  const yc = centerColumns(y);
  const n = x.rows;
  const xy = frobeniusSquared(crossProduct(xc, x.cols, yc, y.cols, n));
  const xx = Math.sqrt(frobeniusSquared(crossProduct(xc, x.cols, xc, x.cols, n)));
  const yy = Math.sqrt(frobeniusSquared(crossProduct(yc, y.cols, yc, y.cols, n)));
  return clampUnit(xy / (xx * yy));
}

/** linearCka with the three cross products as float32 matrix products on the TF.js backend. */
export function linearCkaTensor(x: Matrix, y: Matrix): number {
  checkPair(x, y, 2);
  return tf.tidy(() => {
    const xc = tf.tensor2d(Float32Array.from(centerColumns(x)), [x.rows, x.cols]);
    const yc = tf.tensor2d(Float32Array.from(centerColumns(y)), [y.rows, y.cols]);
    // Explicit transposes, each once: wasm runs untransposed products in XNNPACK, transposed
    // ones in a slow loop.
    const xt = tf.transpose(xc);
    const yt = tf.transpose(yc);
    // Each p x q product is freed as soon as its squared norm is read.
    const normSquared = (at: tf.Tensor2D, b: tf.Tensor2D) =>
      tf.tidy(() => tf.sum(tf.square(tf.matMul(at, b))).dataSync()[0]!);
    return clampUnit(normSquared(xt, yc) / Math.sqrt(normSquared(xt, xc) * normSquared(yt, yc)));
  });
}

/** Double centering (biased) of a Gram matrix, in place. */
function centerGram(k: Float64Array, n: number): Float64Array {
  const rowMean = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += k[i * n + j]!;
    rowMean[i] = s / n;
    total += s;
  }
  const mean = total / (n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j]! += mean - rowMean[i]! - rowMean[j]!;
  return k;
}

/** U-centering of Song et al. (2012), in place: the centering of the unbiased HSIC estimator. */
function uCenterGram(k: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) k[i * n + i] = 0;
  const means = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += k[i * n + j]!;
    means[j] = s / (n - 2);
  }
  let sumMeans = 0;
  for (let j = 0; j < n; j++) sumMeans += means[j]!;
  for (let j = 0; j < n; j++) means[j]! -= sumMeans / (2 * (n - 1));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j]! -= means[i]! + means[j]!;
  for (let i = 0; i < n; i++) k[i * n + i] = 0;
  return k;
}

/**
 * CKA of two n x n kernel (Gram) matrices, row-major: the common core of every CKA-family
 * metric, so a metric over a new kernel only computes its Gram matrices. Both are centered in place.
 */
export function kernelCka(k: Float64Array, l: Float64Array, n: number, options: { debiased?: boolean } = {}): number {
  return ckaOfGrams(k, l, n, options.debiased ?? false);
}

function ckaOfGrams(k: Float64Array, l: Float64Array, n: number, debiased: boolean): number {
  const center = debiased ? uCenterGram : centerGram;
  center(k, n);
  center(l, n);
  const denominator = Math.sqrt(frobeniusSquared(k) * frobeniusSquared(l));
  if (!(denominator > 0)) throw new SimilarityInputError('a representation has zero variance after centering');
  return dot(k, l) / denominator;
}

/** Linear CKA from n x n Gram matrices; `debiased` uses the unbiased HSIC estimator (n >= 4). */
export function linearCkaGram(x: Matrix, y: Matrix, options: { debiased?: boolean } = {}): number {
  const debiased = options.debiased ?? false;
  checkPair(x, y, debiased ? 4 : 2);
  const value = ckaOfGrams(gram(x.data, x.rows, x.cols), gram(y.data, y.rows, y.cols), x.rows, debiased);
  return debiased ? value : clampUnit(value);
}

/** Pairwise squared distances and the RBF kernel exp(-d^2 / (2 (threshold * median d)^2)). */
function rbfGram(m: Matrix, threshold: number): Float64Array {
  const n = m.rows;
  const g = gram(m.data, n, m.cols);
  const sq = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) sq[i * n + j] = Math.max(0, g[i * n + i]! + g[j * n + j]! - 2 * g[i * n + j]!);
  // The median over the full matrix (zeros of the diagonal included), as in Kornblith et al.'s code.
  const sorted = Float64Array.from(sq).sort();
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? sorted[Math.floor(mid)]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  if (!(median > 0))
    throw new SimilarityInputError('RBF CKA: the median pairwise distance is 0 (too many identical rows)');
  for (let i = 0; i < sq.length; i++) sq[i] = Math.exp(-sq[i]! / (2 * threshold * threshold * median));
  return sq;
}

/** RBF CKA with bandwidth = threshold x median pairwise distance. O(n^2) memory. */
export function rbfCka(x: Matrix, y: Matrix, options: { threshold?: number; debiased?: boolean } = {}): number {
  const threshold = options.threshold ?? 1;
  if (!(threshold > 0) || !Number.isFinite(threshold))
    throw new SimilarityInputError(`threshold: must be a positive number, got ${threshold}`);
  checkPair(x, y, options.debiased ? 4 : 2);
  return ckaOfGrams(rbfGram(x, threshold), rbfGram(y, threshold), x.rows, options.debiased ?? false);
}

/** Unbiased HSIC estimator (Song et al. 2012) of two n x n Gram matrices (n >= 4). */
export function unbiasedHsic(k: Float64Array, l: Float64Array, n: number): number {
  const kt = Float64Array.from(k);
  const lt = Float64Array.from(l);
  for (let i = 0; i < n; i++) {
    kt[i * n + i] = 0;
    lt[i * n + i] = 0;
  }
  const kRow = new Float64Array(n);
  const lRow = new Float64Array(n);
  let kSum = 0;
  let lSum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      kRow[i]! += kt[i * n + j]!;
      lRow[i]! += lt[i * n + j]!;
    }
    kSum += kRow[i]!;
    lSum += lRow[i]!;
  }
  const trace = dot(kt, lt); // tr(K~ L~) for symmetric matrices
  const ones = dot(kRow, lRow); // 1^T K~ L~ 1
  return (trace + (kSum * lSum) / ((n - 1) * (n - 2)) - (2 / (n - 2)) * ones) / (n * (n - 3));
}

/**
 * Minibatch linear CKA (Nguyen et al. 2021): unbiased HSIC summed over consecutive batches of
 * `batchSize` rows, so the memory is O(batchSize^2) whatever n is. A last batch of fewer than
 * 4 rows is dropped (the estimator needs 4).
 */
export function minibatchLinearCka(x: Matrix, y: Matrix, options: { batchSize?: number } = {}): number {
  const batch = options.batchSize ?? 32;
  if (!Number.isInteger(batch) || batch < 4)
    throw new SimilarityInputError(`batchSize: must be an integer >= 4, got ${batch}`);
  checkPair(x, y, 4);
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let start = 0; start + 4 <= x.rows; start += batch) {
    const rows = Math.min(batch, x.rows - start);
    const k = gram(x.data.subarray(start * x.cols, (start + rows) * x.cols), rows, x.cols);
    const l = gram(y.data.subarray(start * y.cols, (start + rows) * y.cols), rows, y.cols);
    xy += unbiasedHsic(k, l, rows);
    xx += unbiasedHsic(k, k, rows);
    yy += unbiasedHsic(l, l, rows);
  }
  if (!(xx > 0 && yy > 0))
    throw new SimilarityInputError('minibatch CKA: a representation has no variance within batches');
  return xy / Math.sqrt(xx * yy);
}

function clampUnit(v: number): number {
  // Rounding can put exact 1 (identical inputs) a few ulps above 1.
  return Math.min(1, Math.max(0, v));
}
