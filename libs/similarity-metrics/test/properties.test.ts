// Properties users rely on: invariances, identities, bounds, and clear errors for bad input.
import { describe, expect, it } from 'vitest';
import {
  CKA_METRICS,
  linearCka,
  linearCkaFloat64,
  linearCkaTensor,
  linearCkaGram,
  matrix,
  minibatchLinearCka,
  procrustesSimilarity,
  PROCRUSTES_METRICS,
  rbfCka,
  resolveParameters,
  SimilarityInputError,
  symmetricEigenvalues,
  type Matrix,
  type SimilarityMetric,
} from '@prune/similarity-metrics';

/** Deterministic pseudo-random normal matrix. */
function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  let s = seed >>> 0;
  const uniform = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return matrix(rows, cols, data);
}

/** A random orthogonal p x p matrix (Gram-Schmidt of a random matrix). */
function randomOrthogonal(p: number, seed: number): Float64Array {
  const q = Float64Array.from(randomMatrix(p, p, seed).data);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) {
      let d = 0;
      for (let k = 0; k < p; k++) d += q[i * p + k]! * q[j * p + k]!;
      for (let k = 0; k < p; k++) q[i * p + k]! -= d * q[j * p + k]!;
    }
    let norm = 0;
    for (let k = 0; k < p; k++) norm += q[i * p + k]! ** 2;
    for (let k = 0; k < p; k++) q[i * p + k]! /= Math.sqrt(norm);
  }
  return q;
}

function multiply(m: Matrix, q: Float64Array, scale = 1, shift = 0): Matrix {
  const out = new Float64Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++)
    for (let j = 0; j < m.cols; j++) {
      let s = 0;
      for (let k = 0; k < m.cols; k++) s += m.data[r * m.cols + k]! * q[k * m.cols + j]!;
      out[r * m.cols + j] = scale * s + shift;
    }
  return matrix(m.rows, m.cols, out);
}

const METRICS = [...CKA_METRICS, ...PROCRUSTES_METRICS];
const metric = (name: string) => METRICS.find((m) => m.name === name)!;

const x = randomMatrix(100, 12, 1);
const y = randomMatrix(100, 9, 2);
const rotatedScaled = multiply(x, randomOrthogonal(12, 3), 7.5, 3);

/** Rows per example a stochastic metric is given here (4 divides the 100 rows of x and y). */
const samples = (m: SimilarityMetric) => (m.stochastic ? 4 : undefined);

describe('invariances and identities', () => {
  it('linear CKA (both forms) is invariant to orthogonal transforms and isotropic scaling', () => {
    expect(linearCka(x, rotatedScaled)).toBeCloseTo(1, 10);
    expect(linearCkaGram(x, rotatedScaled)).toBeCloseTo(1, 10);
    expect(linearCka(x, y)).toBeCloseTo(linearCka(multiply(x, randomOrthogonal(12, 4), 0.01), y), 10);
  });

  it('identical inputs give 1 for every metric', () => {
    for (const m of METRICS) expect(m.compute(x, x, m.parameters, samples(m)), m.name).toBeCloseTo(1, 8);
  });

  it('Procrustes similarity is 1 for rotated/scaled/shifted copies, lower for unrelated data, within [0, 1]', () => {
    expect(procrustesSimilarity(x, rotatedScaled)).toBeCloseTo(1, 8);
    const unrelated = procrustesSimilarity(x, y);
    expect(unrelated).toBeGreaterThan(0);
    expect(unrelated).toBeLessThan(0.9);
    expect(procrustesSimilarity(y, x)).toBeCloseTo(unrelated, 10); // symmetric
  });

  it('the eigen solver is exact on a known spectrum', () => {
    // Q diag(1, 2, 5, 9) Q^T
    const q = randomOrthogonal(4, 9);
    const d = [1, 2, 5, 9];
    const a = new Float64Array(16);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) for (let k = 0; k < 4; k++) a[i * 4 + j]! += q[i * 4 + k]! * d[k]! * q[j * 4 + k]!;
    expect([...symmetricEigenvalues(a, 4)].sort((u, v) => u - v).map((v) => Number(v.toFixed(10)))).toEqual(d);
  });

  it('minibatch CKA approaches the debiased CKA of the whole set', () => {
    const big = randomMatrix(2048, 8, 5);
    const related = multiply(big, randomOrthogonal(8, 6));
    for (let i = 0; i < related.data.length; i++) related.data[i]! += 0.8 * randomMatrix(2048, 8, 7).data[i]!;
    expect(
      Math.abs(minibatchLinearCka(big, related, { batchSize: 256 }) - linearCkaGram(big, related, { debiased: true })),
    ).toBeLessThan(0.02);
  });
});

describe('degenerate input is a clear error, not NaN', () => {
  const cases: [string, () => number, RegExp][] = [
    [
      'different row counts',
      () => linearCka(x, randomMatrix(99, 9, 2)),
      /same number of rows \(examples\): x has 100, y has 99/,
    ],
    [
      'too few rows for debiased',
      () => linearCkaGram(randomMatrix(3, 4, 1), randomMatrix(3, 4, 2), { debiased: true }),
      /x: needs at least 4 rows/,
    ],
    [
      'too few rows for minibatch',
      () => minibatchLinearCka(randomMatrix(3, 4, 1), randomMatrix(3, 4, 2)),
      /needs at least 4 rows/,
    ],
    [
      'constant representation',
      () => linearCka(x, matrix(100, 2, new Float64Array(200).fill(3))),
      /y: every row is the same/,
    ],
    [
      'NaN',
      () =>
        rbfCka(
          matrix(2, 2, [
            [1, NaN],
            [0, 1],
          ]),
          matrix(2, 2, [
            [1, 2],
            [3, 4],
          ]),
        ),
      /x: value at row 0, column 1 is NaN/,
    ],
    [
      'Inf',
      () =>
        procrustesSimilarity(
          x,
          matrix(
            100,
            1,
            Float64Array.from({ length: 100 }, (_, i) => (i === 5 ? Infinity : i)),
          ),
        ),
      /y: value at row 5, column 0 is Infinity/,
    ],
    ['bad threshold', () => rbfCka(x, y, { threshold: 0 }), /threshold: must be a positive number/],
    ['bad batch size', () => minibatchLinearCka(x, y, { batchSize: 2 }), /batchSize: must be an integer >= 4/],
  ];
  it.each(cases)('%s', (_name, run, message) => {
    expect(run).toThrow(SimilarityInputError);
    expect(run).toThrow(message);
  });

  it('unknown metric parameters are named', () => {
    expect(() => resolveParameters(metric('linear_cka'), { threshold: 1 })).toThrow(
      'parameters.threshold: linear_cka has no parameters',
    );
    expect(() => resolveParameters(metric('rbf_cka'), { sigma: 1 })).toThrow(
      'parameters.sigma: rbf_cka has parameters threshold',
    );
    // Bounds a metric declares are checked with its parameters (and at StartRun, from Describe).
    expect(() => resolveParameters(metric('rbf_cka'), { threshold: 0 })).toThrow(
      'parameters.threshold: rbf_cka takes a number > 0, got 0',
    );
    expect(() => resolveParameters(metric('shape_metric'), { alpha: 2 })).toThrow(
      'parameters.alpha: shape_metric takes a number from 0 to 1, got 2',
    );
    expect(() => resolveParameters(metric('minibatch_cka'), { batch_size: 8.5 })).toThrow(
      'parameters.batch_size: minibatch_cka takes a whole number >= 4, got 8.5',
    );
  });
});

describe('every registered metric', () => {
  it('fills its parameter defaults, and a parameter it declares changes what it computes', () => {
    for (const m of METRICS) {
      expect(resolveParameters(m, {}), m.name).toEqual(m.parameters);
      for (const [name, value] of Object.entries(m.parameters)) {
        const doubled = resolveParameters(m, { [name]: 2 * value });
        expect(doubled[name], `${m.name}.${name}`).toBe(2 * value);
        expect(m.compute(x, y, doubled, samples(m)), `${m.name}.${name}`).not.toBeCloseTo(
          m.compute(x, y, m.parameters, samples(m)),
          6,
        );
      }
      expect(() => resolveParameters(m, { nope: 1 }), m.name).toThrow(`parameters.nope: ${m.name} has`);
    }
  });

  it('computes from the number of rows it declares (minRows) and refuses fewer, naming the minimum', () => {
    for (const m of METRICS) {
      // A stochastic metric's examples are several rows each.
      const rows = (examples: number) => examples * (samples(m) ?? 1);
      const [a, b] = [randomMatrix(rows(m.minRows), 5, 1), randomMatrix(rows(m.minRows), 4, 2)];
      expect(Number.isFinite(m.compute(a, b, m.parameters, samples(m))), m.name).toBe(true);
      const fewer = () =>
        m.compute(
          randomMatrix(rows(m.minRows - 1), 5, 1),
          randomMatrix(rows(m.minRows - 1), 4, 2),
          m.parameters,
          samples(m),
        );
      expect(fewer, m.name).toThrow(SimilarityInputError);
      expect(fewer, m.name).toThrow(`needs at least ${m.minRows} ${m.stochastic ? 'examples' : 'rows'}`);
    }
  });
});

describe('linear CKA on the TF.js backend (the path for large inputs)', () => {
  it('agrees with the float64 implementation to 1e-5', async () => {
    const { initBackend } = await import('@prune/compute');
    await initBackend(undefined, () => {});
    const a = randomMatrix(500, 64, 11);
    const b = multiply(a, randomOrthogonal(64, 12), 2);
    const noise = randomMatrix(500, 64, 13); // once: drawing it per element took a minute and timed out the worker
    for (let i = 0; i < b.data.length; i++) b.data[i]! += noise.data[i]!;
    expect(Math.abs(linearCkaTensor(a, b) - linearCkaFloat64(a, b))).toBeLessThan(1e-5);
    expect(linearCkaTensor(a, a)).toBeCloseTo(1, 5);
  });
});
