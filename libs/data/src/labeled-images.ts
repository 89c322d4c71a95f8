/** Images as uint8 NHWC pixels with integer labels: the in-memory form of every dataset. */
export interface LabeledImages {
  /** n * height * width * channels bytes, row-major NHWC. */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: readonly string[];
}

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** The first `count` examples (a view, no copy). */
export function takeFirst(data: LabeledImages, count: number): LabeledImages {
  const n = Math.min(count, data.count);
  const size = data.height * data.width * data.channels;
  return { ...data, count: n, pixels: data.pixels.subarray(0, n * size), labels: data.labels.subarray(0, n) };
}
