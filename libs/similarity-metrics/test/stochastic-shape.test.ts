// Duong et al.'s stochastic shape metrics: the Gaussian one against what their library, netrep,
// computes (fixtures/make_stochastic_reference.py), both against closed forms in one dimension, and
// the invariances that define them.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seededRandom } from '@prune/data';
import {
  gaussianStochasticShapeSimilarity,
  matrix,
  maximumAssignment,
  procrustesSimilarity,
  wassersteinStochasticShapeSimilarity,
  type Matrix,
} from '@prune/similarity-metrics';

const reference = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, 'fixtures/stochastic-shape-reference.json'), 'utf8'),
) as { cases: { n: number; k: number; px: number; py: number; x: number[][]; y: number[][]; similarity: number }[] };

describe.each(reference.cases.map((c, index) => ({ ...c, index })))('netrep reference case $index', (c) => {
  it('gaussian_shape_metric (alpha 1) matches GaussianStochasticMetric to 1e-5', () => {
    const x = matrix(c.n * c.k, c.px, c.x);
    const y = matrix(c.n * c.k, c.py, c.y);
    expect(Math.abs(gaussianStochasticShapeSimilarity(x, y, c.k, 1) - c.similarity)).toBeLessThan(1e-5);
  });
});

/** n examples of k samples in p dimensions: a seeded mean per example plus per-example noise. */
function responses(n: number, k: number, p: number, seed: number, noise = 0.5): Matrix {
  const next = seededRandom(seed);
  const normal = () => next() + next() + next() - 1.5;
  const data = new Float64Array(n * k * p);
  for (let i = 0; i < n; i++) {
    const mean = Array.from({ length: p }, () => 3 * normal());
    const scale = noise * (0.3 + next());
    for (let s = 0; s < k; s++) for (let c = 0; c < p; c++) data[(i * k + s) * p + c] = mean[c]! + scale * normal();
  }
  return matrix(n * k, p, data);
}

/** Every row times a fixed rotation (a product of plane rotations), scaled and shifted. */
function rotated(m: Matrix, scale: number, shift: number): Matrix {
  const out = Float64Array.from(m.data);
  for (let a = 0; a + 1 < m.cols; a++) {
    const [c, s] = [Math.cos(0.7 + a), Math.sin(0.7 + a)];
    for (let r = 0; r < m.rows; r++) {
      const [u, v] = [out[r * m.cols + a]!, out[r * m.cols + a + 1]!];
      out[r * m.cols + a] = c * u - s * v;
      out[r * m.cols + a + 1] = s * u + c * v;
    }
  }
  return matrix(
    m.rows,
    m.cols,
    out.map((v) => scale * v + shift),
  );
}

const METRICS = {
  gaussian: (x: Matrix, y: Matrix, k: number) => gaussianStochasticShapeSimilarity(x, y, k),
  wasserstein: wassersteinStochasticShapeSimilarity,
};

describe.each(Object.entries(METRICS))('%s stochastic shape metric', (_, similarity) => {
  const x = responses(30, 6, 4, 1);

  it('is 1 for a rotated, scaled and shifted copy of the responses', () => {
    expect(similarity(x, x, 6)).toBeCloseTo(1, 9);
    expect(similarity(x, rotated(x, 3, -2), 6)).toBeCloseTo(1, 6);
  });

  it('is symmetric and falls as one network gets noisier', () => {
    const y = responses(30, 6, 4, 1, 1.5);
    const z = responses(30, 6, 4, 1, 4);
    expect(similarity(x, y, 6)).toBeCloseTo(similarity(y, x, 6), 6);
    expect(similarity(x, z, 6)).toBeLessThan(similarity(x, y, 6));
    expect(similarity(x, responses(30, 6, 4, 99), 6)).toBeLessThan(0.5);
  });

  it('compares networks of different widths as if the narrower had zero columns', () => {
    const y = responses(30, 6, 3, 2, 1);
    const padded = matrix(
      y.rows,
      5,
      Float64Array.from({ length: y.rows * 5 }, (_, i) => (i % 5 < 3 ? y.data[Math.floor(i / 5) * 3 + (i % 5)]! : 0)),
    );
    const value = similarity(x, y, 6);
    expect(value).toBeGreaterThan(0.2);
    expect(value).toBeLessThan(0.99);
    expect(similarity(x, padded, 6)).toBeCloseTo(value, 9);
  });

  it('refuses rows that are not whole examples and fewer than 2 samples, naming the input', () => {
    expect(() => similarity(x, x, 7)).toThrow(/x: 180 rows are not a whole number of examples of 7 samples/);
    expect(() => similarity(x, x, 1)).toThrow(
      /samples_per_example: \w+ compares 2 to 64 stochastic responses per example/,
    );
  });
});

describe('one-dimensional responses, two samples each', () => {
  // Example i answers mu_i +- sigma_i: its Gaussian is N(mu_i, sigma_i^2), and for two points the
  // exact W2^2 is (mu - mu')^2 + (sigma - sigma')^2, the Gaussians' too. T is +1 or -1.
  const mu = [0.5, -1, 2, 0.3, -1.8];
  const sigma = [0.2, 0.6, 0.1, 0.4, 0.3];
  const nu = [0.7, -0.6, 1.5, 0.1, -1.7];
  const tau = [0.3, 0.2, 0.5, 0.4, 0.1];
  const rows = (m: number[], s: number[]) =>
    matrix(
      10,
      1,
      m.flatMap((v, i) => [[v + s[i]!], [v - s[i]!]]),
    );
  const expected = () => {
    const center = (m: number[]) => m.map((v) => v - m.reduce((a, b) => a + b) / m.length);
    const [cm, cn] = [center(mu), center(nu)];
    const norm = (m: number[], s: number[]) => Math.sqrt(m.reduce((a, v, i) => a + v * v + s[i]! ** 2, 0));
    const [nx, ny] = [norm(cm, sigma), norm(cn, tau)];
    // 1 - d^2/2 at T = +1 (the better sign here): the normalized means' and spreads' products.
    return cm.reduce((a, v, i) => a + v * cn[i]! + sigma[i]! * tau[i]!, 0) / (nx * ny);
  };
  it.each(Object.entries(METRICS))('%s equals the closed form', (_, similarity) => {
    expect(similarity(rows(mu, sigma), rows(nu, tau), 2)).toBeCloseTo(expected(), 9);
  });
});

describe('gaussian_shape_metric alpha', () => {
  const x = responses(25, 5, 3, 4);
  const y = responses(25, 5, 3, 5, 1);
  it('at 2 is procrustes on the per-example means', () => {
    const means = (m: Matrix) =>
      matrix(
        25,
        3,
        Float64Array.from({ length: 75 }, (_, j) => {
          const [i, c] = [Math.floor(j / 3), j % 3];
          let s = 0;
          for (let r = 0; r < 5; r++) s += m.data[(i * 5 + r) * 3 + c]! / 5;
          return s;
        }),
      );
    expect(gaussianStochasticShapeSimilarity(x, y, 5, 2)).toBeCloseTo(procrustesSimilarity(means(x), means(y)), 6);
  });
  it("at 0 compares covariances only: shifting each example's mean changes nothing", () => {
    const shifted = matrix(
      x.rows,
      3,
      Float64Array.from(x.data, (v, i) => v + Math.floor(i / 15) * 0.7 * ((i % 3) - 1)),
    );
    expect(gaussianStochasticShapeSimilarity(x, shifted, 5, 0)).toBeCloseTo(1, 6);
    expect(gaussianStochasticShapeSimilarity(x, shifted, 5, 1)).toBeLessThan(0.99);
  });
  it('at 1 is at least the exact 2-Wasserstein similarity (Gelbrich: Gaussians are the closest pair)', () => {
    for (const seed of [6, 7, 8]) {
      const z = responses(25, 5, 3, seed, 1);
      expect(gaussianStochasticShapeSimilarity(x, z, 5, 1)).toBeGreaterThanOrEqual(
        wassersteinStochasticShapeSimilarity(x, z, 5) - 1e-9,
      );
    }
  });
  it('is refused outside [0, 2]', () => {
    expect(() => gaussianStochasticShapeSimilarity(x, y, 5, 2.5)).toThrow(/alpha: must be in \[0, 2\], got 2.5/);
  });
});

describe('maximumAssignment', () => {
  it('finds the best permutation (checked against all 720 of 6)', () => {
    const next = seededRandom(3);
    for (let trial = 0; trial < 5; trial++) {
      const score = Float64Array.from({ length: 36 }, () => next());
      const total = (p: ArrayLike<number>) => Array.from(p).reduce((a, c, r) => a + score[r * 6 + c]!, 0);
      let best = -Infinity;
      const permute = (prefix: number[]) => {
        if (prefix.length === 6) best = Math.max(best, total(prefix));
        else for (let c = 0; c < 6; c++) if (!prefix.includes(c)) permute([...prefix, c]);
      };
      permute([]);
      expect(total(maximumAssignment(score, 6))).toBeCloseTo(best, 12);
    }
  });
});
