// Datasets named by URI, so services open them themselves:
//   cifar10-jpeg:train | cifar10-jpeg:validation | cifar10-jpeg:test | cifar10-jpeg:train-full
//   fashion-mnist:train | fashion-mnist:validation | fashion-mnist:test | fashion-mnist:train-full
//   cifar10-lossless-4000
//   /path/to/archive.tar.gz:{train,validation,test,train-full}  (CIFAR-10 JPEG layout; validation = 10%)
//   /path/to/data.csv[?label=<column>&steps=<n>]:{train,validation,test,train-full}  (csv-dataset.ts)
// "validation" is carved from the training split, class-balanced with a fixed seed, and
// "train" is what remains: every decision of the method uses train or validation, never test.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dataRoots, fileUnderRoots } from './allowed-roots.js';
import { sharedDir } from './shared-dir.js';
import { cacheDir } from './cache-dir.js';
import { loadCifar10Jpeg, loadJpegArchive } from './cifar10-jpeg.js';
import { loadCifar10Lossless4000 } from './cifar10-lossless.js';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from './fashion-mnist.js';
import { loadCsvDataset, type CsvOptions, type CsvSplit } from './csv-dataset.js';
import { CIFAR10_CLASSES, classBalancedIndices, selectExamples, type LabeledImages } from './labeled-images.js';
import { InvalidArgumentError, quoted } from '@prune/errors';

export const VALIDATION_SEED = 20250101;
export const VALIDATION_SIZE: Record<string, number> = { 'cifar10-jpeg': 5000, 'fashion-mnist': 6000 };

export class DatasetUriError extends InvalidArgumentError {
  override name = 'DatasetUriError';
}

const DATASETS: Record<string, (split: 'train' | 'test') => Promise<LabeledImages> | LabeledImages> = {
  'cifar10-jpeg': (split) => loadCifar10Jpeg(split),
  'fashion-mnist': (split) => loadFashionMnist(split),
};

export interface DatasetInfo {
  classes: number;
  /** One image: height, width, channels. */
  imageShape: [number, number, number];
}

/**
 * The classes and image shape of a dataset family (what a run names: "cifar10-jpeg", or an
 * archive path in the CIFAR-10 JPEG layout); undefined when unknown.
 */
export function datasetInfo(family: string): DatasetInfo | undefined {
  if (family.endsWith('.tar.gz') || family.startsWith('cifar10'))
    return { classes: CIFAR10_CLASSES.length, imageShape: [32, 32, 3] };
  if (family === 'fashion-mnist') return { classes: FASHION_MNIST_CLASSES.length, imageShape: [28, 28, 1] };
  return undefined;
}

export const DATASET_URIS = [
  ...Object.keys(DATASETS).flatMap((name) => ['train', 'validation', 'test', 'train-full'].map((s) => `${name}:${s}`)),
  'cifar10-lossless-4000',
  '<path>.tar.gz:<split>',
  '<path>.csv[?label=<column>&steps=<n>]:<split>',
];

const CSV_URI = /^(.+\.csv)(?:\?([^:]*))?:(train|validation|test|train-full)$/;

/**
 * Whether a run may name `family` as its dataset: a known one, or a path to a .tar.gz in the
 * CIFAR-10 JPEG layout or to a CSV (whose existence the services that read it check). A CSV's
 * options are checked here (a DatasetUriError names a bad one).
 */
export function isDatasetFamily(family: string): boolean {
  const csv = CSV_URI.exec(`${family}:train`);
  if (csv) csvOptions(family, csv[2]);
  return Boolean(csv) || DATASET_URIS.includes(`${family}:train`) || family.endsWith('.tar.gz');
}

/** Whether `family` is a CSV: float features, which image augmentation (crops, flips) does not apply to. */
export function isCsvFamily(family: string): boolean {
  return CSV_URI.test(`${family}:train`);
}

/** Splits a full training set into (train, validation), deterministically. */
export function splitValidation(
  full: LabeledImages,
  validationSize: number,
  seed = VALIDATION_SEED,
): { train: LabeledImages; validation: LabeledImages } {
  const taken = classBalancedIndices(full, validationSize, seed);
  const takenSet = new Set(taken);
  const rest = [...Array(full.count).keys()].filter((i) => !takenSet.has(i));
  return { train: selectExamples(full, rest), validation: selectExamples(full, taken) };
}

/** A path to a .tar.gz in the CIFAR-10 JPEG layout, with a split: "/data/my-cifar.tar.gz:test". */
async function openArchivePath(uri: string, archive: string, split: string): Promise<LabeledImages> {
  const roots = dataRoots(process.env, sharedDir);
  const resolved = fileUnderRoots(
    archive,
    roots,
    `dataset ${quoted(uri)}`,
    `is outside the data roots (${roots.join(', ') || 'none'}), the only places archives are read from; set PRUNE_DATA_ROOTS`,
  );
  const dir = path.join(cacheDir(), 'archives', createHash('sha256').update(resolved).digest('hex').slice(0, 16));
  if (split === 'test') return loadJpegArchive('test', resolved, dir);
  const full = await loadJpegArchive('train', resolved, dir);
  if (split === 'train-full') return full;
  const parts = splitValidation(full, Math.max(10, Math.round(full.count / 10)));
  return split === 'train' ? parts.train : parts.validation;
}

/** Options of a CSV URI ("label=activity&steps=50"); unknown keys are errors. */
function csvOptions(uri: string, query = ''): CsvOptions {
  const options: CsvOptions = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (key === 'label') options.label = value;
    else if (key === 'steps') {
      options.steps = Number(value);
      if (!Number.isInteger(options.steps) || options.steps < 1)
        throw new DatasetUriError(`dataset ${quoted(uri)}: steps must be a positive integer, got ${quoted(value)}`);
    } else
      throw new DatasetUriError(`dataset ${quoted(uri)}: unknown option ${quoted(key)}; use label=<column>, steps=<n>`);
  }
  return options;
}

/** Parsed CSVs by file, content and options: services open the same splits many times in a run. */
const csvCache = new Map<string, ReturnType<typeof loadCsvDataset>>();

function openCsvPath(uri: string, file: string, query: string | undefined, split: CsvSplit): LabeledImages {
  const options = csvOptions(uri, query);
  const roots = dataRoots(process.env, sharedDir);
  const resolved = fileUnderRoots(
    file,
    roots,
    `dataset ${quoted(uri)}`,
    `is outside the data roots (${roots.join(', ') || 'none'}), the only places data files are read from; set PRUNE_DATA_ROOTS`,
  );
  const { mtimeMs, size } = fs.statSync(resolved);
  const key = JSON.stringify([resolved, mtimeMs, size, options]);
  let splits = csvCache.get(key);
  if (!splits) {
    splits = loadCsvDataset(resolved, options);
    csvCache.clear(); // one file at a time: a run reads one dataset
    csvCache.set(key, splits);
  }
  return splits[split];
}

export async function openDataset(uri: string): Promise<LabeledImages> {
  if (uri === 'cifar10-lossless-4000') return loadCifar10Lossless4000();
  const csv = CSV_URI.exec(uri);
  if (csv) return openCsvPath(uri, csv[1]!, csv[2], csv[3] as CsvSplit);
  const archive = /^(.+\.tar\.gz):(train|validation|test|train-full)$/.exec(uri);
  if (archive) return openArchivePath(uri, archive[1]!, archive[2]!);
  const match = /^([a-z0-9-]+):(train|validation|test|train-full)$/.exec(uri);
  const load = match ? DATASETS[match[1]!] : undefined;
  if (!match || !load)
    throw new DatasetUriError(`dataset ${quoted(uri)} is unknown; valid: ${DATASET_URIS.join(', ')}`);
  const [, name, split] = match;
  if (split === 'test') return load('test');
  const full = await load('train');
  if (split === 'train-full') return full;
  const parts = splitValidation(full, VALIDATION_SIZE[name!]!);
  return split === 'train' ? parts.train : parts.validation;
}

/** The dataset `uri`, or a class-balanced sample of `maxExamples` of it (0 = all). */
export async function openDatasetSample(uri: string, maxExamples = 0, seed = 0): Promise<LabeledImages> {
  const data = await openDataset(uri);
  return maxExamples > 0 && maxExamples < data.count
    ? selectExamples(data, classBalancedIndices(data, maxExamples, seed))
    : data;
}
