// A batch as tensors: the one place raw pixels and labels become (x, y), for training and evaluation.
import { tf } from '@prune/compute';
import { preprocessImages, type Preprocessing } from '@prune/models';

/** `use(x, y)` with `pixels` preprocessed as `shape` and `labels` as int32, both disposed after it. */
export function withBatchTensors<T>(
  pixels: Uint8Array | Float32Array,
  labels: Uint8Array,
  shape: [number, number, number, number],
  preprocessing: Preprocessing,
  use: (x: tf.Tensor4D, y: tf.Tensor1D) => T,
): T {
  const x = preprocessImages(pixels, shape, preprocessing);
  const y = tf.tensor1d(labels, 'int32');
  try {
    return use(x, y);
  } finally {
    tf.dispose([x, y]);
  }
}
