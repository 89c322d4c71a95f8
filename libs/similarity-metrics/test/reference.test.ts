import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sharedDir } from '@prune/data';
import { linearCka, linearCkaGram, matrix, minibatchLinearCka, rbfCka, type Matrix } from '@prune/similarity-metrics';

interface Case {
  n: number;
  px: number;
  py: number;
  x: number[][];
  y: number[][];
  expected: Record<string, number>;
}
const reference = JSON.parse(fs.readFileSync(path.join(sharedDir(), 'reference/similarity-vectors.json'), 'utf8')) as {
  cases: Case[];
};
const f32 = (rows: number[][], n: number, p: number): Matrix => matrix(n, p, Float32Array.from(rows.flat()));

describe.each(reference.cases.map((c, i) => [i, c] as const))('reference case %i', (_i, c) => {
  const x = f32(c.x, c.n, c.px);
  const y = f32(c.y, c.n, c.py);
  const metrics: Record<string, () => number> = {
    linear_cka: () => linearCkaGram(x, y),
    linear_cka_feature_space: () => linearCka(x, y),
    linear_cka_debiased: () => linearCkaGram(x, y, { debiased: true }),
    'rbf_cka_threshold_0.5': () => rbfCka(x, y, { threshold: 0.5 }),
    'rbf_cka_threshold_1.0': () => rbfCka(x, y, { threshold: 1.0 }),
    minibatch_linear_cka_batch_32: () => minibatchLinearCka(x, y, { batchSize: 32 }),
  };
  it.each(Object.keys(c.expected))('%s matches to 1e-5', (name) => {
    expect(metrics[name], `no implementation for ${name}`).toBeDefined();
    expect(Math.abs(metrics[name]!() - c.expected[name]!)).toBeLessThan(1e-5);
  });
});
