// Fashion-MNIST from Debian's `dataset-fashion-mnist` package (gzipped IDX files).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { LabeledImages } from './labeled-images.js';
import { FailedPreconditionError, NotFoundError } from '@prune/errors';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = [
  't-shirt',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle-boot',
] as const;

function readIdx(file: string, magic: number): { dims: number[]; data: Uint8Array } {
  if (!fs.existsSync(file)) {
    throw new NotFoundError(`${file} not found (install the Debian package dataset-fashion-mnist)`);
  }
  let bytes: Buffer;
  try {
    bytes = gunzipSync(fs.readFileSync(file));
  } catch (error) {
    throw new FailedPreconditionError(`${file}: not a valid gzip file (${(error as Error).message})`);
  }
  if (bytes.length < 8 || bytes.readUInt32BE(0) !== magic)
    throw new FailedPreconditionError(`${file}: not an IDX file with magic ${magic}`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => bytes.readUInt32BE(4 + 4 * i));
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset + 4 + 4 * rank, bytes.length - 4 - 4 * rank);
  if (data.length !== dims.reduce((a, b) => a * b, 1))
    throw new FailedPreconditionError(`${file}: truncated (${data.length} bytes for dims ${dims.join('x')})`);
  return { dims, data };
}

export function loadFashionMnist(split: 'train' | 'test', dir = FASHION_MNIST_DIR): LabeledImages<Uint8Array> {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = readIdx(path.join(dir, `${prefix}-images-idx3-ubyte.gz`), 0x803);
  const labels = readIdx(path.join(dir, `${prefix}-labels-idx1-ubyte.gz`), 0x801);
  if (images.dims[0] !== labels.dims[0])
    throw new FailedPreconditionError(`${dir}: ${images.dims[0]} images but ${labels.dims[0]} labels`);
  return {
    pixels: images.data,
    labels: labels.data,
    count: images.dims[0]!,
    height: images.dims[1]!,
    width: images.dims[2]!,
    channels: 1,
    classNames: FASHION_MNIST_CLASSES,
  };
}
