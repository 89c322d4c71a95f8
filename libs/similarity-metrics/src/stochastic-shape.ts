// Stochastic shape metrics (Duong, Zhou, Nassar, Berman, Olieslagers, Williams, ICLR 2023,
// "Representational dissimilarity metric spaces for stochastic neural networks"): each network
// answers every example with a distribution of responses, here K samples per example (K
// consecutive rows), and two networks are compared by the transport distance between their
// per-example distributions, minimized over one rotation T shared by all examples:
//   gaussian:    d^2 = min_T sum_i alpha |mu_i - T nu_i|^2 + (2 - alpha) B^2(S_i, T R_i T^T)
//                (each distribution replaced by its Gaussian: means mu, nu, covariances S, R; B the
//                Bures distance; alpha 1 is the 2-Wasserstein distance between the Gaussians, 2
//                compares the means only, 0 the covariances only: netrep's GaussianStochasticMetric);
//   wasserstein: d^2 = min_T sum_i W2^2(samples_i, T samples'_i), the exact 2-Wasserstein distance
//                between the two empirical distributions (an optimal assignment of K samples).
// Both are solved by alternating maximization, as Duong et al.'s netrep does: B^2(S, R) =
// min_U |F - G U|^2 over orthogonal U for any factors F F^T = S, G G^T = R (here the centered
// samples / sqrt(K)), so every step is a Procrustes problem (or an assignment) and the objective
// never decreases; T starts from the rotation that aligns the means, as netrep's does. (netrep's
// fit weighs the stacked rows by alpha and 2 - alpha, so it minimizes with alpha^2 and
// (2 - alpha)^2 while its score reports alpha and 2 - alpha; the two agree at alpha 1. Here the
// objective minimized is the one reported.)
// Translation and scale are removed first (all rows centered, each network scaled to a unit total
// second moment), so the result is 1 - d^2 / 2: 1 when one network's response distributions are a
// rotation of the other's, in [0, 1] like procrustes. The narrower network is padded with zeros.
import {
  centerColumns,
  checkPair,
  crossProduct,
  frobeniusSquared,
  SimilarityInputError,
  type Matrix,
} from './matrix.js';
import { symmetricMatrixFunction } from './procrustes.js';

/**
 * Each alternating step costs about n K d^2 plus a d x d eigendecomposition: at the cap, 1,000
 * examples of 8 samples take minutes; ResNets' and our Transformers' penultimate widths are 64.
 */
const MAX_COLUMNS = 256;
/** Each example's assignment (wasserstein) costs K^3 per step. */
const MAX_SAMPLES = 64;
const MAX_STEPS = 100;
const TOLERANCE = 1e-9;

/** Responses of one network: per example the mean (d) and the centered samples / sqrt(K) (K x d). */
interface Responses {
  n: number;
  k: number;
  d: number;
  means: Float64Array; // n x d
  spread: Float64Array; // n x K x d
  samples: Float64Array; // n x K x d, centered over all rows
}

/**
 * The polar factor Q of a d x d matrix Z = Q P, Z (Z^T Z)^(-1/2): orthogonal when Z has full
 * rank, else a partial isometry on Z's row space (which attains the same max_Q tr(Q^T Z) = |Z|_*).
 */
export function polarFactor(z: Float64Array, d: number): Float64Array {
  const ztz = crossProduct(z, d, z, d, d);
  let largest = 0;
  for (let i = 0; i < d; i++) largest = Math.max(largest, ztz[i * d + i]!);
  // Eigenvalues below 1e-12 of the largest diagonal entry (>= the largest eigenvalue / d) count as 0.
  const inverseRoot = symmetricMatrixFunction(ztz, d, (v) => (v > 1e-12 * largest ? 1 / Math.sqrt(v) : 0));
  return multiply(z, inverseRoot, d, d, d);
}

/** a (m x k) times b (k x n). */
function multiply(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let t = 0; t < k; t++) {
      const v = a[i * k + t]!;
      if (v !== 0) for (let j = 0; j < n; j++) out[i * n + j]! += v * b[t * n + j]!;
    }
  return out;
}

function transpose(a: Float64Array, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j]!;
  return out;
}

/** The rows of `m` (K per example, centered over all rows, padded to d columns) as per-example responses. */
function responses(m: Matrix, k: number, d: number, name: string): Responses {
  if (m.rows % k !== 0)
    throw new SimilarityInputError(`${name}: ${m.rows} rows are not a whole number of examples of ${k} samples each`);
  const n = m.rows / k;
  const centered = centerColumns(m);
  const samples = new Float64Array(m.rows * d);
  for (let r = 0; r < m.rows; r++) samples.set(centered.subarray(r * m.cols, (r + 1) * m.cols), r * d);
  const means = new Float64Array(n * d);
  const spread = new Float64Array(n * k * d);
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < k; s++) for (let c = 0; c < d; c++) means[i * d + c]! += samples[(i * k + s) * d + c]! / k;
    for (let s = 0; s < k; s++)
      for (let c = 0; c < d; c++)
        spread[(i * k + s) * d + c] = (samples[(i * k + s) * d + c]! - means[i * d + c]!) / Math.sqrt(k);
  }
  return { n, k, d, means, spread, samples };
}

/** Scales `r` in place so that `moment(r)`, its total second moment under a metric's weighting, is 1. */
function normalized(r: Responses, moment: (r: Responses) => number, name: string, metric: string): Responses {
  const total = moment(r);
  if (!(total > 0))
    throw new SimilarityInputError(
      `${name}: ${metric} sees no variation in what it weighs (each example's samples identical, or every ` +
        "example's mean the same): extract stochastic responses (MetricInfo.stochastic), or set alpha inside (0, 2)",
    );
  const scale = 1 / Math.sqrt(total);
  for (const a of [r.samples, r.means, r.spread]) for (let i = 0; i < a.length; i++) a[i]! *= scale;
  return r;
}

function check(x: Matrix, y: Matrix, samplesPerExample: number, metric: string): number {
  if (!Number.isInteger(samplesPerExample) || samplesPerExample < 2 || samplesPerExample > MAX_SAMPLES)
    throw new SimilarityInputError(
      `samples_per_example: ${metric} compares 2 to ${MAX_SAMPLES} stochastic responses per example ` +
        `(consecutive rows, as MetricInfo.stochastic asks), got ${samplesPerExample}`,
    );
  for (const [m, name] of [
    [x, 'x'],
    [y, 'y'],
  ] as const)
    if (m.rows < 2 * samplesPerExample)
      throw new SimilarityInputError(
        `${name}: needs at least 2 examples (${2 * samplesPerExample} rows of ${samplesPerExample} samples), got ${m.rows} rows`,
      );
  checkPair(x, y, 2 * samplesPerExample);
  const d = Math.max(x.cols, y.cols);
  if (d > MAX_COLUMNS)
    throw new SimilarityInputError(
      `${metric}: representations of ${d} columns are more than the supported ${MAX_COLUMNS}`,
    );
  return d;
}

/** max_T tr(T N) over orthogonal T is at T = polar(N)^T. */
const bestRotation = (cross: Float64Array, d: number) => transpose(polarFactor(cross, d), d, d);

/** sum_i nu_i mu_i^T (d x d): the means' cross matrix, the same at every alternating step. */
const meansCross = (a: Responses, b: Responses) => crossProduct(b.means, a.d, a.means, a.d, a.n);

/** The rotation that best aligns the per-example means (netrep's initialization), or I when they are all 0. */
function meansRotation(cross: Float64Array, d: number): Float64Array {
  if (cross.every((v) => v === 0)) return Float64Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0));
  return bestRotation(cross, d);
}

/**
 * Alternates from `t`: `step` returns the objective at T (each example's inner problem solved for
 * it) and the cross matrix N whose best rotation is the next T.
 */
function maximize(
  d: number,
  t: Float64Array,
  step: (t: Float64Array) => { value: number; cross: Float64Array },
): number {
  let best = -Infinity;
  for (let iteration = 0; iteration < MAX_STEPS; iteration++) {
    const { value, cross } = step(t);
    const converged = iteration > 0 && value - best < TOLERANCE * Math.max(1, Math.abs(value));
    best = Math.max(best, value);
    if (converged) break;
    t = bestRotation(cross, d);
  }
  return Math.min(1, Math.max(0, best));
}

/** Gaussian stochastic shape similarity, 1 - d_alpha^2 / 2; K = samplesPerExample consecutive rows per example. */
export function gaussianStochasticShapeSimilarity(x: Matrix, y: Matrix, samplesPerExample: number, alpha = 1): number {
  if (!(alpha >= 0 && alpha <= 2)) throw new SimilarityInputError(`alpha: must be in [0, 2], got ${alpha}`);
  const d = check(x, y, samplesPerExample, 'gaussian_shape_metric');
  const k = samplesPerExample;
  const moment = (r: Responses) => alpha * frobeniusSquared(r.means) + (2 - alpha) * frobeniusSquared(r.spread);
  const a = normalized(responses(x, k, d, 'x'), moment, 'x', `gaussian_shape_metric (alpha ${alpha})`);
  const b = normalized(responses(y, k, d, 'y'), moment, 'y', `gaussian_shape_metric (alpha ${alpha})`);
  const means = meansCross(a, b);
  return maximize(d, meansRotation(means, d), (t) => {
    // The objective at T with each example's best U_i (a K x K Procrustes), and N for the next T:
    // N = alpha sum_i nu_i mu_i^T + (2 - alpha) sum_i G_i U_i F_i^T, so that the objective is tr(T N).
    const cross = means.map((v) => alpha * v);
    let value = 0;
    for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) value += alpha * t[r * d + c]! * means[c * d + r]!;
    if (alpha === 2) return { value, cross }; // means only
    const tt = transpose(t, d, d);
    for (let i = 0; i < a.n; i++) {
      // Rows are samples: F_i^T is K x d (a's spread), G_i^T likewise; M = F_i^T T G_i (K x K).
      const f = a.spread.subarray(i * k * d, (i + 1) * k * d);
      const g = b.spread.subarray(i * k * d, (i + 1) * k * d);
      const tg = multiply(g, tt, k, d, d); // rows: (T g_s)^T
      const m = multiply(f, transpose(tg, k, d), k, d, k);
      // max_U tr(U M) = |M|_* at U = polar(M)^T: then G U F^T = sum over matched sample pairs.
      const u = transpose(polarFactor(m, k), k, k);
      for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) value += (2 - alpha) * u[r * k + c]! * m[c * k + r]!;
      const gu = crossProduct(g, d, u, k, k); // G U, d x K
      const guf = multiply(gu, f, d, k, d);
      for (let j = 0; j < d * d; j++) cross[j]! += (2 - alpha) * guf[j]!;
    }
    return { value, cross };
  });
}

/**
 * Exact 2-Wasserstein stochastic shape similarity: the K samples of each example are matched to
 * the other network's K samples by an optimal assignment, 1 - d^2 / 2.
 */
export function wassersteinStochasticShapeSimilarity(x: Matrix, y: Matrix, samplesPerExample: number): number {
  const d = check(x, y, samplesPerExample, 'wasserstein_shape_metric');
  const k = samplesPerExample;
  // Each example's K samples weigh 1/K: the total second moment is the samples' sum of squares / K.
  const moment = (r: Responses) => frobeniusSquared(r.samples) / k;
  const a = normalized(responses(x, k, d, 'x'), moment, 'x', 'wasserstein_shape_metric');
  const b = normalized(responses(y, k, d, 'y'), moment, 'y', 'wasserstein_shape_metric');
  return maximize(d, meansRotation(meansCross(a, b), d), (t) => {
    const cross = new Float64Array(d * d);
    let value = 0;
    const tt = transpose(t, d, d);
    for (let i = 0; i < a.n; i++) {
      const xs = a.samples.subarray(i * k * d, (i + 1) * k * d);
      const ys = b.samples.subarray(i * k * d, (i + 1) * k * d);
      const tys = multiply(ys, tt, k, d, d);
      const score = multiply(xs, transpose(tys, k, d), k, d, k); // x_s . T y_r
      const match = maximumAssignment(score, k);
      for (let s = 0; s < k; s++) {
        const r = match[s]!;
        value += score[s * k + r]! / k;
        for (let p = 0; p < d; p++)
          for (let q = 0; q < d; q++) cross[p * d + q]! += (ys[r * d + p]! * xs[s * d + q]!) / k;
      }
    }
    return { value, cross };
  });
}

/** The permutation (row -> column) maximizing the sum of a k x k score matrix (Hungarian algorithm). */
export function maximumAssignment(score: Float64Array, k: number): Int32Array {
  // Minimizes the negated scores; potentials u (rows), v (columns), 1-based as in the classic form.
  const u = new Float64Array(k + 1);
  const v = new Float64Array(k + 1);
  const column = new Int32Array(k + 1); // column[j]: the row matched to column j
  const way = new Int32Array(k + 1);
  for (let row = 1; row <= k; row++) {
    column[0] = row;
    let j0 = 0;
    const min = new Float64Array(k + 1).fill(Infinity);
    const used = new Uint8Array(k + 1);
    do {
      used[j0] = 1;
      const i0 = column[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= k; j++) {
        if (used[j]) continue;
        const cost = -score[(i0 - 1) * k + (j - 1)]! - u[i0]! - v[j]!;
        if (cost < min[j]!) {
          min[j] = cost;
          way[j] = j0;
        }
        if (min[j]! < delta) {
          delta = min[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= k; j++) {
        if (used[j]) {
          u[column[j]!]! += delta;
          v[j]! -= delta;
        } else min[j]! -= delta;
      }
      j0 = j1;
    } while (column[j0] !== 0);
    do {
      const j1 = way[j0]!;
      column[j0] = column[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const match = new Int32Array(k);
  for (let j = 1; j <= k; j++) match[column[j]! - 1] = j - 1;
  return match;
}
