// The linear shape metric with partial whitening against what Williams et al.'s own library, netrep,
// computes on the shared reference matrices (fixtures/make_shape_reference.py), and the invariances
// that define it.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seededRandom, sharedDir } from '@prune/data';
import {
  matrix,
  partialWhiteningShapeSimilarity,
  procrustesSimilarity,
  similarityMetricByName,
  type Matrix,
} from '@prune/similarity-metrics';

const shared = JSON.parse(fs.readFileSync(path.join(sharedDir(), 'reference/similarity-vectors.json'), 'utf8')) as {
  cases: { n: number; px: number; py: number; x: number[][]; y: number[][] }[];
};
const expected = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, 'fixtures/shape-metric-reference.json'), 'utf8'),
) as { cases: { case: number; expected: Record<string, number> }[] };

describe.each(expected.cases)('reference case $case', ({ case: index, expected: values }) => {
  const c = shared.cases[index]!;
  const x = matrix(c.n, c.px, Float32Array.from(c.x.flat()));
  const y = matrix(c.n, c.py, Float32Array.from(c.y.flat()));
  it.each(Object.entries(values))('alpha %s matches netrep to 1e-6', (alpha, value) => {
    expect(Math.abs(partialWhiteningShapeSimilarity(x, y, Number(alpha)) - value)).toBeLessThan(1e-6);
  });
});

/** An n x p matrix of a seeded normal-ish draw. */
function random(n: number, p: number, seed: number): Matrix {
  const next = seededRandom(seed);
  return matrix(
    n,
    p,
    Float64Array.from({ length: n * p }, () => next() + next() + next() - 1.5),
  );
}

/** `m` times a p x q matrix `a` (row-major). */
function times(m: Matrix, a: Float64Array, q: number): Matrix {
  const out = new Float64Array(m.rows * q);
  for (let r = 0; r < m.rows; r++)
    for (let j = 0; j < q; j++) {
      let s = 0;
      for (let k = 0; k < m.cols; k++) s += m.data[r * m.cols + k]! * a[k * q + j]!;
      out[r * q + j] = s;
    }
  return matrix(m.rows, q, out);
}

describe('the shape metric', () => {
  const x = random(200, 6, 1);
  it('is procrustes at alpha 1', () => {
    const y = random(200, 4, 2);
    expect(partialWhiteningShapeSimilarity(x, y, 1)).toBeCloseTo(procrustesSimilarity(x, y), 10);
  });

  it('at alpha 0 (CCA) does not see an invertible linear map; at 0.5 it does, but not a rotation', () => {
    const mixing = random(6, 6, 3).data as Float64Array; // invertible with probability 1
    const mixed = times(x, mixing, 6);
    expect(partialWhiteningShapeSimilarity(x, mixed, 0)).toBeCloseTo(1, 8);
    expect(partialWhiteningShapeSimilarity(x, mixed, 0.5)).toBeLessThan(0.999);
    const [c, s] = [Math.cos(0.7), Math.sin(0.7)];
    const rotation = Float64Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0));
    [rotation[0], rotation[1], rotation[6], rotation[7]] = [c, -s, s, c];
    expect(partialWhiteningShapeSimilarity(x, times(x, rotation, 6), 0.5)).toBeCloseTo(1, 8);
  });

  it('refuses alpha outside [0, 1] and representations too wide for its eigendecomposition', () => {
    expect(() => partialWhiteningShapeSimilarity(x, x, 1.5)).toThrow('alpha: must be in [0, 1], got 1.5');
    const wide = matrix(
      3,
      4096,
      new Float64Array(3 * 4096).map((_, i) => i % 7),
    );
    expect(() => partialWhiteningShapeSimilarity(wide, wide, 0.5)).toThrow(
      /4096 columns are more than the supported 2048/,
    );
    const fewExamples = random(5, 8, 4); // a singular X^T X: its eigenvalues are clipped, as netrep does
    expect(partialWhiteningShapeSimilarity(fewExamples, fewExamples, 0)).toBeCloseTo(1, 8);
  });

  it('is a plug-in of the procrustes family, its alpha a parameter (default 0.5)', () => {
    const metric = similarityMetricByName('shape_metric');
    expect(metric.parameters).toEqual({ alpha: 0.5 });
    const y = random(200, 5, 6);
    expect(metric.compute(x, y, { alpha: 0.5 })).toBeCloseTo(partialWhiteningShapeSimilarity(x, y, 0.5), 12);
  });
});
