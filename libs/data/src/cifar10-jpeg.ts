// CIFAR-10 from shared/data/cifar10-jpeg/CIFAR-10-images.tar.gz (one JPEG per image:
// train/<class>/NNNN.jpg, test/<class>/NNNN.jpg). Decoded once into a cache file whose
// content hash is checked at every load, so a stale or partial cache is rebuilt, never trusted.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '@prune/store';
import * as tar from 'tar';
import { cacheDir } from './cache-dir.js';
import { CIFAR10_CLASSES, type LabeledImages } from './labeled-images.js';
import { sharedDir } from './shared-dir.js';
import { FailedPreconditionError, NotFoundError } from '@prune/errors';

const IMAGE_BYTES = 32 * 32 * 3;
const CACHE_VERSION = 1;
export type CifarSplit = 'train' | 'test';
export const CIFAR10_SPLIT_SIZES = { train: 50_000, test: 10_000 } as const;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export function cifar10JpegArchive(): string {
  return path.join(sharedDir(), 'data/cifar10-jpeg/CIFAR-10-images.tar.gz');
}

/** Decodes every image of the archive: split -> (class, number) -> pixels. Standard label order. */
async function decodeArchive(
  archive: string,
  expectedSizes?: Record<CifarSplit, number>,
): Promise<Record<CifarSplit, LabeledImages<Uint8Array>>> {
  const files: { split: CifarSplit; path: string; label: number; index: number; jpeg: Buffer }[] = [];
  await tar.t({
    file: archive,
    onReadEntry: (entry) => {
      const match = /^(train|test)\/([a-z]+)\/(\d+)\.jpg$/.exec(entry.path);
      if (!match) return entry.resume();
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        const label = CIFAR10_CLASSES.indexOf(match[2] as (typeof CIFAR10_CLASSES)[number]);
        files.push({
          split: match[1] as CifarSplit,
          path: entry.path,
          label,
          index: Number(match[3]),
          jpeg: Buffer.concat(chunks),
        });
      });
    },
  });
  // libjpeg-turbo through sharp decodes like the reference (PIL/libjpeg): same pixels, same accuracy.
  const entries: Record<CifarSplit, { label: number; index: number; pixels: Uint8Array }[]> = { train: [], test: [] };
  const problems: string[] = [];
  const decode = async (file: (typeof files)[number]) => {
    try {
      if (file.label < 0) throw new Error('unknown class');
      const { data, info } = await sharp(file.jpeg)
        .removeAlpha()
        .toColourspace('srgb')
        .raw()
        .toBuffer({ resolveWithObject: true });
      if (info.width !== 32 || info.height !== 32 || data.length !== IMAGE_BYTES) {
        throw new Error(`expected a 32x32 RGB image, got ${info.width}x${info.height}x${info.channels}`);
      }
      entries[file.split].push({ label: file.label, index: file.index, pixels: new Uint8Array(data) });
    } catch (error) {
      problems.push(`${file.path}: ${(error as Error).message}`);
    }
  };
  for (let i = 0; i < files.length; i += 256) await Promise.all(files.slice(i, i + 256).map(decode));
  if (problems.length)
    throw new FailedPreconditionError(`${archive}: ${problems.length} bad images, first: ${problems[0]}`);
  const toImages = (split: CifarSplit): LabeledImages<Uint8Array> => {
    const list = entries[split].sort((a, b) => a.label - b.label || a.index - b.index);
    if (expectedSizes ? list.length !== expectedSizes[split] : list.length === 0) {
      throw new FailedPreconditionError(
        `${archive}: ${split} has ${list.length} images, expected ${expectedSizes?.[split] ?? 'some'} (corrupt archive?)`,
      );
    }
    const pixels = new Uint8Array(list.length * IMAGE_BYTES);
    list.forEach((e, i) => pixels.set(e.pixels, i * IMAGE_BYTES));
    return {
      pixels,
      labels: Uint8Array.from(list, (e) => e.label),
      count: list.length,
      height: 32,
      width: 32,
      channels: 3,
      classNames: CIFAR10_CLASSES,
    };
  };
  return { train: toImages('train'), test: toImages('test') };
}

interface CacheIndex {
  version: number;
  archiveSize: number;
  archiveMtimeMs: number;
  splits: Record<CifarSplit, { file: string; count: number; sha256: string }>;
}

function readCached(dir: string, archive: string, split: CifarSplit): LabeledImages<Uint8Array> | undefined {
  const indexFile = path.join(dir, 'index.json');
  if (!fs.existsSync(indexFile)) return undefined;
  try {
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as CacheIndex;
    const stat = fs.statSync(archive);
    if (index.version !== CACHE_VERSION || index.archiveSize !== stat.size || index.archiveMtimeMs !== stat.mtimeMs)
      return undefined;
    const entry = index.splits[split];
    const bytes = new Uint8Array(fs.readFileSync(path.join(dir, entry.file)));
    if (bytes.length !== entry.count * (IMAGE_BYTES + 1) || sha256(bytes) !== entry.sha256) return undefined;
    return {
      labels: bytes.subarray(0, entry.count),
      pixels: bytes.subarray(entry.count),
      count: entry.count,
      height: 32,
      width: 32,
      channels: 3,
      classNames: CIFAR10_CLASSES,
    };
  } catch {
    return undefined; // unreadable cache: rebuild
  }
}

/**
 * The train (50,000) or test (10,000) split of the JPEG CIFAR-10, class-major order
 * (class 0 first, within a class in the original batch order).
 */
export async function loadCifar10Jpeg(
  split: CifarSplit,
  archive = cifar10JpegArchive(),
  dir = path.join(cacheDir(), 'cifar10-jpeg'),
): Promise<LabeledImages<Uint8Array>> {
  return loadJpegArchive(split, archive, dir, archive === cifar10JpegArchive() ? CIFAR10_SPLIT_SIZES : undefined);
}

/**
 * Any .tar.gz in the same layout (train/<class>/N.jpg, test/<class>/N.jpg, CIFAR-10 class names,
 * 32x32 RGB), decoded once into its own verified cache. `expectedSizes` guards the shared archive.
 */
export async function loadJpegArchive(
  split: CifarSplit,
  archive: string,
  dir: string,
  expectedSizes?: Record<CifarSplit, number>,
): Promise<LabeledImages<Uint8Array>> {
  if (!fs.existsSync(archive)) throw new NotFoundError(`CIFAR-10 archive not found: ${archive}`);
  const cached = readCached(dir, archive, split);
  if (cached) return cached;
  const decoded = await decodeArchive(archive, expectedSizes);
  fs.mkdirSync(dir, { recursive: true });
  const stat = fs.statSync(archive);
  const index: CacheIndex = {
    version: CACHE_VERSION,
    archiveSize: stat.size,
    archiveMtimeMs: stat.mtimeMs,
    splits: {} as CacheIndex['splits'],
  };
  for (const name of ['train', 'test'] as const) {
    const images = decoded[name];
    const bytes = new Uint8Array(images.count * (IMAGE_BYTES + 1));
    bytes.set(images.labels, 0);
    bytes.set(images.pixels, images.count);
    writeFileAtomic(path.join(dir, `${name}.bin`), bytes);
    index.splits[name] = { file: `${name}.bin`, count: images.count, sha256: sha256(bytes) };
  }
  writeFileAtomic(path.join(dir, 'index.json'), JSON.stringify(index, null, 2)); // last: marks the cache complete
  return decoded[split];
}
