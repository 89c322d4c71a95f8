// A user's CSV: real Fashion-MNIST rows written as a windowed recording (28 steps x 28 features per
// row), opened by URI like any dataset; standardization fitted on the train split only; clear
// errors for what a hand-made CSV gets wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CsvDatasetError,
  isDatasetFamily,
  loadCsvDataset,
  loadFashionMnist,
  openDataset,
  takeFirst,
} from '@prune/data';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-dataset-'));
const csv = path.join(dir, 'fashion-rows.csv');
const write = (name: string, text: string) => {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
const ROWS = 300;

beforeAll(() => {
  const data = takeFirst(loadFashionMnist('test'), ROWS);
  const header = [...Array.from({ length: 784 }, (_, i) => `t${Math.floor(i / 28)}_f${i % 28}`), 'label'];
  const lines = Array.from({ length: ROWS }, (_, r) =>
    [...data.pixels.subarray(r * 784, (r + 1) * 784), data.classNames[data.labels[r]!]].join(','),
  );
  fs.writeFileSync(csv, [header.join(','), ...lines].join('\n') + '\n');
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('CSV datasets', () => {
  it('split by class (20% test, 10% of the rest validation), shaped [steps, features, 1], labels by name', () => {
    const splits = loadCsvDataset(csv, { steps: 28 });
    const counts = Object.fromEntries(Object.entries(splits).map(([k, v]) => [k, v.count]));
    expect(counts['test']! + counts['train-full']!).toBe(ROWS);
    expect(counts['train']! + counts['validation']!).toBe(counts['train-full']);
    expect(counts['test']).toBeCloseTo(0.2 * ROWS, -1);
    expect(splits.train).toMatchObject({ height: 28, width: 28, channels: 1 });
    expect(splits.train.classNames).toEqual([...splits.train.classNames].sort());
    expect(splits.train.classNames).toContain('ankle-boot');
    expect(splits.train.pixels).toBeInstanceOf(Float32Array);
  });

  it('standardizes each feature with the train split only: mean 0 and std 1 there, not elsewhere', () => {
    const { train, test } = loadCsvDataset(csv, { steps: 28 });
    const stats = (values: Float32Array, feature: number) => {
      const xs = values.filter((_, i) => i % 28 === feature);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length) };
    };
    const fit = stats(train.pixels as Float32Array, 14);
    expect(fit.mean).toBeCloseTo(0, 4);
    expect(fit.std).toBeCloseTo(1, 4);
    expect(Math.abs(stats(test.pixels as Float32Array, 14).mean)).toBeGreaterThan(1e-3);
  });

  it('opens by URI under the data roots, with options; names outside the roots are refused', async () => {
    process.env['PRUNE_DATA_ROOTS'] = dir;
    try {
      const test = await openDataset(`${csv}?steps=28:test`);
      expect(test).toMatchObject({ height: 28, width: 28 });
      const flat = await openDataset(`${csv}:validation`);
      expect(flat).toMatchObject({ height: 1, width: 784 });
      await expect(openDataset(`${csv}?step=28:test`)).rejects.toThrow(
        /unknown option "step"; use label=<column>, steps=<n>/,
      );
      process.env['PRUNE_DATA_ROOTS'] = os.homedir();
      await expect(openDataset(`${csv}:test`)).rejects.toThrow(/outside the data roots/);
    } finally {
      delete process.env['PRUNE_DATA_ROOTS'];
    }
    expect(isDatasetFamily(`${csv}?steps=28`)).toBe(true);
    expect(isDatasetFamily('/data/x.parquet')).toBe(false);
  });

  it.each([
    [
      'no label column',
      'a,b\n' + '1,2\n'.repeat(30),
      /no label column "label" in the header \(columns: a, b\); name it with \?label=<column>/,
    ],
    ['a missing value', 'a,b,label\n' + '1,2,x\n'.repeat(25) + '1,,y\n', /line 27, column "b": missing value/],
    [
      'a non-numeric value',
      'a,b,label\n' + '1,2,x\n'.repeat(25) + '1,abc,y\n',
      /line 27, column "b": "abc" is not a number/,
    ],
    ['a short row', 'a,b,label\n' + '1,2,x\n'.repeat(25) + '1,y\n', /line 27 has 2 fields, the header has 3/],
    ['one class', 'a,b,label\n' + '1,2,x\n'.repeat(25), /1 class; 2 or more are needed/],
    ['too few rows', 'a,b,label\n1,2,x\n3,4,y\n', /2 rows; at least 20 are needed/],
  ])('%s is a clear error naming the place', (_title, text, message) => {
    const file = write('bad.csv', text);
    expect(() => loadCsvDataset(file)).toThrow(CsvDatasetError);
    expect(() => loadCsvDataset(file)).toThrow(message);
  });

  it('steps must divide the feature columns', () => {
    expect(() => loadCsvDataset(csv, { steps: 5 })).toThrow(/steps=5 does not divide the 784 feature columns/);
  });
});
