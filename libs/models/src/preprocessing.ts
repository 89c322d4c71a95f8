// How a model expects its input pixels normalized. Stored with the model (its metadata) so that
// every later step — training, scoring, evaluation — normalizes the same way.
import { tf } from '@prune/compute';

export type Preprocessing =
  /** RGB/255, then (x - mean[c]) / std[c] per channel (the PyTorch CIFAR ResNets). */
  | { kind: 'channel-mean-std'; mean: number[]; std: number[] }
  /**
   * RGB/255 minus a per-pixel mean image of shape [h, w, c] (the Keras models of Pons et al.).
   * `meanOf` names the split the mean is computed from when `mean` is not stored.
   */
  | { kind: 'pixel-mean'; meanOf: string; mean?: number[] };

export const CIFAR_RESNET_PREPROCESSING: Preprocessing = {
  kind: 'channel-mean-std',
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/** Converts `count` uint8 NHWC images to the float tensor the model expects. */
export function preprocessImages(
  pixels: Uint8Array,
  shape: [number, number, number, number],
  preprocessing: Preprocessing,
): tf.Tensor4D {
  const [n, h, w, c] = shape;
  if (pixels.length !== n * h * w * c) {
    throw new Error(`preprocessImages: expected ${n}x${h}x${w}x${c} = ${n * h * w * c} bytes, got ${pixels.length}`);
  }
  return tf.tidy(() => {
    const scaled = tf.div(tf.tensor4d(pixels, shape, 'int32'), 255);
    if (preprocessing.kind === 'channel-mean-std') {
      if (preprocessing.mean.length !== c || preprocessing.std.length !== c) {
        throw new Error(
          `preprocessing: mean/std have ${preprocessing.mean.length}/${preprocessing.std.length} entries, expected ${c} (channels)`,
        );
      }
      return tf.div(tf.sub(scaled, tf.tensor1d(preprocessing.mean)), tf.tensor1d(preprocessing.std)) as tf.Tensor4D;
    }
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
