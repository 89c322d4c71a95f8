import { InvalidArgumentError } from '@prune/errors';
/**
 * Examples as NHWC arrays with integer labels: the in-memory form of every dataset. Images are
 * uint8 pixels; tabular or windowed data (a CSV) are float features the loader already standardized.
 */
export interface LabeledImages<Values extends Uint8Array | Float32Array = Uint8Array | Float32Array> {
  /** n * height * width * channels values, row-major NHWC: uint8 pixels, or standardized float features. */
  pixels: Values;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: readonly string[];
}

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

/** The first `count` examples (a view, no copy). */
export function takeFirst<T extends LabeledImages>(data: T, count: number): T {
  const n = Math.min(count, data.count);
  const size = data.height * data.width * data.channels;
  return { ...data, count: n, pixels: data.pixels.subarray(0, n * size), labels: data.labels.subarray(0, n) };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence everywhere. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Copies the examples at `indices` (in that order). */
export function selectExamples<T extends LabeledImages>(data: T, indices: number[]): T {
  const size = data.height * data.width * data.channels;
  const pixels = sameKind(data.pixels, indices.length * size);
  indices.forEach((index, i) => pixels.set(data.pixels.subarray(index * size, (index + 1) * size), i * size));
  return { ...data, count: indices.length, pixels, labels: Uint8Array.from(indices, (i) => data.labels[i]!) };
}

/**
 * Indices of `count` examples drawn class-balanced (count / classes per class, the remainder to
 * the first classes) with a seeded shuffle, in class-interleaved order.
 */
export function classBalancedIndices(data: LabeledImages, count: number, seed: number): number[] {
  const classes = data.classNames.length;
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  data.labels.forEach((label, i) => byClass[label]!.push(i));
  const random = seededRandom(seed);
  for (const list of byClass) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
  }
  const quota = (c: number) => Math.floor(count / classes) + (c < count % classes ? 1 : 0);
  for (let c = 0; c < classes; c++) {
    if (byClass[c]!.length < quota(c)) {
      throw new InvalidArgumentError(
        `class-balanced sample of ${count}: class ${data.classNames[c]} has only ${byClass[c]!.length} examples`,
      );
    }
  }
  const indices: number[] = [];
  for (let k = 0; indices.length < count; k++)
    for (let c = 0; c < classes && indices.length < count; c++) if (k < quota(c)) indices.push(byClass[c]![k]!);
  return indices;
}

/** `count` examples drawn class-balanced with a seeded shuffle (see classBalancedIndices). */
export function classBalancedSample<T extends LabeledImages>(data: T, count: number, seed: number): T {
  return selectExamples(data, classBalancedIndices(data, count, seed));
}

/** A zeroed array of `length` values of the same kind as `values` (uint8 pixels or float features). */
export function sameKind<T extends Uint8Array | Float32Array>(values: T, length: number): T {
  return (values instanceof Float32Array ? new Float32Array(length) : new Uint8Array(length)) as T;
}
