// How a model expects its input pixels normalized. Stored with the model (its metadata) so that
// every later step — training, scoring, evaluation — normalizes the same way.
import { tf } from '@prune/compute';
import { InvalidArgumentError } from '@prune/errors';

export type Preprocessing =
  /**
   * pixels (0..255, in `channelOrder`) times `scale` (default 1/255), then (x - mean[c]) / std[c]
   * per channel; a one-entry mean or std applies to every channel.
   */
  | { kind: 'channel-mean-std'; mean: number[]; std: number[]; scale?: number; channelOrder?: 'rgb' | 'bgr' }
  /**
   * RGB/255 minus a per-pixel mean image of shape [h, w, c] (the Keras models of Pons et al.).
   * `meanOf` names the split the mean is computed from when `mean` is not stored.
   */
  | { kind: 'pixel-mean'; meanOf: string; mean?: number[] };

/** The PyTorch CIFAR ResNets in ../shared: RGB/255, then ImageNet's per-channel mean and std. */
export const CIFAR_RESNET_PREPROCESSING: Preprocessing = {
  kind: 'channel-mean-std',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** Named preprocessings a user can declare with --preprocessing <name>. */
export const PREPROCESSING_PRESETS: Record<string, { preprocessing: Preprocessing; description: string }> = {
  raw: {
    preprocessing: { kind: 'channel-mean-std', scale: 1, mean: [0], std: [1] },
    description: 'pixels 0..255 as they are',
  },
  unit: { preprocessing: { kind: 'channel-mean-std', mean: [0], std: [1] }, description: 'x/255 (0..1)' },
  signed: { preprocessing: { kind: 'channel-mean-std', mean: [0.5], std: [0.5] }, description: 'x/127.5 - 1 (-1..1)' },
  'torch-cifar': { preprocessing: CIFAR_RESNET_PREPROCESSING, description: 'x/255, ImageNet mean/std per channel' },
  'pixel-mean': {
    preprocessing: { kind: 'pixel-mean', meanOf: 'cifar10:train' },
    description: 'x/255 minus the per-pixel mean of the CIFAR-10 training images (the Keras models of Pons et al.)',
  },
};

/** How --preprocessing is written, for help and errors. */
export const PREPROCESSING_SYNTAX =
  `a name (${Object.keys(PREPROCESSING_PRESETS).join(', ')}) or ` +
  '"mean=0.49,0.48,0.45;std=0.25,0.24,0.26[;scale=1|1/255][;order=rgb|bgr]"';

/** The error for a model that does not say how its inputs are normalized: it shows how to say it. */
export class MissingPreprocessingError extends InvalidArgumentError {
  override name = 'MissingPreprocessingError';
  constructor(model: string) {
    super(
      `${model}: the model does not say how its input pixels are normalized; declare it with ` +
        `--preprocessing (run config field "preprocessing"): ${PREPROCESSING_SYNTAX}`,
    );
  }
}

function numbers(text: string, field: string, key: string): number[] {
  const parts = text.split(',').map((v) => v.trim());
  const values = parts.map(Number);
  if (parts.some((p) => p === '') || values.some((v) => !Number.isFinite(v)))
    throw new InvalidArgumentError(`${field}: ${key}= expects comma-separated numbers, got "${text.slice(0, 60)}"`);
  return values;
}

/** Reads a declared preprocessing (see PREPROCESSING_SYNTAX); errors name `field`. */
export function parsePreprocessing(spec: string, field = 'preprocessing'): Preprocessing {
  const text = spec.trim();
  const preset = PREPROCESSING_PRESETS[text];
  if (preset) return preset.preprocessing;
  if (text.startsWith('pixel-mean:')) return { kind: 'pixel-mean', meanOf: text.slice('pixel-mean:'.length) };
  const parts = new Map<string, string>();
  for (const part of text.split(';').filter((p) => p.trim())) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq < 0 || !['mean', 'std', 'scale', 'order'].includes(key))
      throw new InvalidArgumentError(`${field}: "${text.slice(0, 60)}" is not ${PREPROCESSING_SYNTAX}`);
    parts.set(key, part.slice(eq + 1).trim());
  }
  const mean = numbers(parts.get('mean') ?? '0', field, 'mean');
  const std = numbers(parts.get('std') ?? '1', field, 'std');
  if (std.some((v) => v <= 0)) throw new InvalidArgumentError(`${field}: std must be positive`);
  const scaleText = parts.get('scale') ?? '1/255';
  const scale = scaleText === '1/255' ? 1 / 255 : Number(scaleText);
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new InvalidArgumentError(
      `${field}: scale must be a positive number or 1/255, got "${scaleText.slice(0, 20)}"`,
    );
  const order = parts.get('order') ?? 'rgb';
  if (order !== 'rgb' && order !== 'bgr') throw new InvalidArgumentError(`${field}: order must be rgb or bgr`);
  return {
    kind: 'channel-mean-std',
    mean,
    std,
    ...(scale === 1 / 255 ? {} : { scale }),
    ...(order === 'bgr' ? { channelOrder: order } : {}),
  };
}

/** A per-channel mean and std have one entry, or one per channel of `data` (e.g. 'dataset "x"'). */
export function assertPreprocessingChannels(
  preprocessing: Preprocessing | undefined,
  channels: number,
  data: string,
): void {
  if (preprocessing?.kind !== 'channel-mean-std') return;
  const { mean, std } = preprocessing;
  if (![1, channels].includes(mean.length) || ![1, channels].includes(std.length))
    throw new InvalidArgumentError(
      `preprocessing: mean and std have ${mean.length} and ${std.length} entries, but ${data} has ${channels} channels (give ${channels} or 1)`,
    );
}

/** Whether `preprocessing` leaves values as they are (the "raw" preset: scale 1, mean 0, std 1). */
function isIdentity(preprocessing: Preprocessing): boolean {
  return (
    preprocessing.kind === 'channel-mean-std' &&
    preprocessing.scale === 1 &&
    preprocessing.channelOrder !== 'bgr' &&
    preprocessing.mean.every((m) => m === 0) &&
    preprocessing.std.every((x) => x === 1)
  );
}

/**
 * Converts `count` NHWC examples to the float tensor the model expects: uint8 images, or float
 * features (already standardized by their loader: their models declare the identity, "raw").
 */
export function preprocessImages(
  pixels: Uint8Array | Float32Array,
  shape: [number, number, number, number],
  preprocessing: Preprocessing,
): tf.Tensor4D {
  const [n, h, w, c] = shape;
  if (pixels.length !== n * h * w * c) {
    throw new Error(`preprocessImages: expected ${n}x${h}x${w}x${c} = ${n * h * w * c} values, got ${pixels.length}`);
  }
  const features = pixels instanceof Float32Array;
  if (features && !isIdentity(preprocessing))
    throw new InvalidArgumentError(
      `preprocessing: these are float features a loader already standardized (a CSV), not pixels; declare the identity, --preprocessing raw (got ${JSON.stringify(preprocessing)})`,
    );
  const dtype = features ? 'float32' : 'int32';
  return tf.tidy(() => preprocessPixels(tf.tensor4d(pixels, shape, dtype), preprocessing));
}

/**
 * Normalizes a tensor of NHWC pixels (0..255, any float or int dtype) as `preprocessing` says:
 * differentiable, so attacks can work in pixel space.
 */
export function preprocessPixels(pixels: tf.Tensor4D, preprocessing: Preprocessing): tf.Tensor4D {
  const [, h, w, c] = pixels.shape;
  return tf.tidy(() => {
    if (preprocessing.kind === 'channel-mean-std') {
      const { mean, std } = preprocessing;
      assertPreprocessingChannels(preprocessing, c, 'the data');
      const ordered = preprocessing.channelOrder === 'bgr' ? tf.reverse(pixels, 3) : pixels;
      // x / 255 exactly as before scale existed (a multiply by 1/255 rounds differently).
      const scaled = preprocessing.scale === undefined ? tf.div(ordered, 255) : tf.mul(ordered, preprocessing.scale);
      return tf.div(tf.sub(scaled, tf.tensor1d(mean)), tf.tensor1d(std)) as tf.Tensor4D;
    }
    const scaled = tf.div(pixels, 255);
    if (!preprocessing.mean) {
      throw new Error(
        `preprocessing: the per-pixel mean of ${preprocessing.meanOf} has not been computed for this model`,
      );
    }
    if (preprocessing.mean.length !== h * w * c) {
      throw new Error(
        `preprocessing: pixel mean has ${preprocessing.mean.length} values, expected ${h * w * c} (${h}x${w}x${c})`,
      );
    }
    return tf.sub(scaled, tf.tensor3d(preprocessing.mean, [h, w, c])) as tf.Tensor4D;
  });
}
