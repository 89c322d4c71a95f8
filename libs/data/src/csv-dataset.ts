// A user's own tabular or windowed numeric data from a CSV file: a header row naming the columns,
// one example per row, a label column (class names or integers), every other column a number.
// With `steps`, a row is a window of `steps` time steps of (columns / steps) features, step-major
// (t0 f0, t0 f1, ..., t1 f0, ...): the [steps, features, 1] example a sequence model reads.
// Splits are fixed and stratified (test 20% of every class, then validation 10% of the rest); every feature is
// standardized with the mean and standard deviation of the train split only, so nothing about the
// validation or test examples leaks into what a model sees. The values are floats: a model on them
// declares the identity preprocessing ("raw").
import * as fs from 'node:fs';
import { InvalidArgumentError, NotFoundError } from '@prune/errors';
import { seededRandom, selectExamples, type LabeledImages } from './labeled-images.js';

export interface CsvOptions {
  /** The label column's name (default "label"). */
  label?: string;
  /** Time steps per row (default 1: a row is one token of every feature). */
  steps?: number;
}

export type CsvSplit = 'train' | 'validation' | 'test' | 'train-full';

/** Seed of the fixed split (the same file always splits the same way). */
const SPLIT_SEED = 20250102;
const MIN_ROWS = 20;

export class CsvDatasetError extends InvalidArgumentError {
  override name = 'CsvDatasetError';
}

/** Fields of one CSV line (quotes around a field are removed; quoted commas are not supported). */
const fieldsOf = (line: string) => line.split(',').map((f) => f.trim().replace(/^"(.*)"$/, '$1'));

export function loadCsvDataset(file: string, options: CsvOptions = {}): Record<CsvSplit, LabeledImages> {
  if (!fs.existsSync(file)) throw new NotFoundError(`${file} not found`);
  const label = options.label ?? 'label';
  const steps = options.steps ?? 1;
  if (!Number.isInteger(steps) || steps < 1)
    throw new CsvDatasetError(`${file}: steps must be a positive integer, got ${steps}`);
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  while (lines.length && lines.at(-1)!.trim() === '') lines.pop();
  const header = fieldsOf(lines[0] ?? '');
  const labelColumn = header.indexOf(label);
  if (labelColumn < 0)
    throw new CsvDatasetError(
      `${file}: no label column "${label}" in the header (columns: ${header.slice(0, 12).join(', ')}${header.length > 12 ? ', ...' : ''}); name it with ?label=<column>`,
    );
  const featureColumns = header.map((_, i) => i).filter((i) => i !== labelColumn);
  if (featureColumns.length === 0) throw new CsvDatasetError(`${file}: no feature columns besides "${label}"`);
  if (featureColumns.length % steps !== 0)
    throw new CsvDatasetError(
      `${file}: steps=${steps} does not divide the ${featureColumns.length} feature columns; use one of ${divisors(featureColumns.length).join(', ')}`,
    );
  const rows = lines.length - 1;
  if (rows < MIN_ROWS) throw new CsvDatasetError(`${file}: ${rows} rows; at least ${MIN_ROWS} are needed to split`);

  const values = new Float32Array(rows * featureColumns.length);
  const labelText: string[] = [];
  for (let r = 0; r < rows; r++) {
    const line = r + 2; // 1-based, after the header
    const fields = fieldsOf(lines[r + 1]!);
    if (fields.length !== header.length)
      throw new CsvDatasetError(`${file}: line ${line} has ${fields.length} fields, the header has ${header.length}`);
    featureColumns.forEach((column, j) => {
      const text = fields[column]!;
      const value = Number(text);
      if (text === '') throw new CsvDatasetError(`${file}: line ${line}, column "${header[column]}": missing value`);
      if (!Number.isFinite(value))
        throw new CsvDatasetError(
          `${file}: line ${line}, column "${header[column]}": "${text.slice(0, 40)}" is not a number`,
        );
      values[r * featureColumns.length + j] = value;
    });
    if (fields[labelColumn] === '') throw new CsvDatasetError(`${file}: line ${line}: missing label`);
    labelText.push(fields[labelColumn]!);
  }
  const integers = labelText.every((t) => /^-?\d+$/.test(t));
  const classNames = [...new Set(labelText)].sort(integers ? (a, b) => Number(a) - Number(b) : undefined);
  if (classNames.length < 2)
    throw new CsvDatasetError(
      `${file}: the label column "${label}" has ${classNames.length} class; 2 or more are needed (another column: ?label=<column>)`,
    );
  if (classNames.length > 256)
    throw new CsvDatasetError(`${file}: ${classNames.length} classes; at most 256 are supported`);
  const index = new Map(classNames.map((name, i) => [name, i]));
  const full: LabeledImages = {
    pixels: values,
    labels: Uint8Array.from(labelText, (t) => index.get(t)!),
    count: rows,
    height: steps,
    width: featureColumns.length / steps,
    channels: 1,
    classNames,
  };
  const { taken: test, rest } = stratified(full, 0.2, SPLIT_SEED);
  const trainFull = selectExamples(full, rest);
  const { taken: validation, rest: train } = stratified(trainFull, 0.1, SPLIT_SEED + 1);
  const splits = {
    train: selectExamples(trainFull, train),
    validation: selectExamples(trainFull, validation),
    test: selectExamples(full, test),
    'train-full': trainFull,
  };
  standardize(splits.train, Object.values(splits));
  return splits;
}

/** Standardizes every feature of `all` in place with the mean and std of `fit` (a constant feature: std 1). */
function standardize(fit: LabeledImages, all: LabeledImages[]): void {
  const features = fit.width;
  const sum = new Float64Array(features);
  const squares = new Float64Array(features);
  const fitValues = fit.pixels as Float32Array;
  for (let i = 0; i < fitValues.length; i++) {
    sum[i % features]! += fitValues[i]!;
    squares[i % features]! += fitValues[i]! * fitValues[i]!;
  }
  const n = fitValues.length / features;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(squares, (s, f) => Math.sqrt(Math.max(s / n - mean[f]! ** 2, 0)) || 1);
  for (const data of all) {
    const v = data.pixels as Float32Array;
    for (let i = 0; i < v.length; i++) v[i] = (v[i]! - mean[i % features]!) / std[i % features]!;
  }
}

/** A seeded, stratified `fraction` of the examples (the same share of every class), and the rest; in file order. */
function stratified(data: LabeledImages, fraction: number, seed: number): { taken: number[]; rest: number[] } {
  const random = seededRandom(seed);
  const byClass = data.classNames.map(() => [] as number[]);
  data.labels.forEach((label, i) => byClass[label]!.push(i));
  const taken: number[] = [];
  const rest: number[] = [];
  for (const list of byClass) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    const k = Math.round(list.length * fraction);
    taken.push(...list.slice(0, k));
    rest.push(...list.slice(k));
  }
  return { taken: taken.sort((a, b) => a - b), rest: rest.sort((a, b) => a - b) };
}

/** The divisors of `n` (the step counts a row of n feature columns splits into). */
const divisors = (n: number) => Array.from({ length: n }, (_, i) => i + 1).filter((d) => n % d === 0);
