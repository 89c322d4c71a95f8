// One forward pass of an evaluation or a representation extraction: what evaluate.ts runs on its
// own thread and evaluation-worker.ts on a replica, so both compute the same thing.
import { predictInOnePass, tf, type tfl } from '@prune/compute';
import { logProbabilities, withFoldedModel, type Preprocessing } from '@prune/models';
import { withBatchTensors } from './batch-tensors.js';

/** A batch of raw pixels (NHWC) and labels: examples `start` to `start + shape[0]` of the data. */
export interface PassBatch {
  start: number;
  shape: [number, number, number, number];
  pixels: Uint8Array | Float32Array;
  labels: Uint8Array;
}

/** What each pass computes. */
export type PassTask =
  /** Hits and summed cross-entropy; `probabilities`: the model's outputs are softmax already. */
  | { kind: 'evaluate'; probabilities: boolean }
  /**
   * The model's output (the extracted layer's); with `samplesPerExample` > 1, each example that
   * many times in a row under Gaussian input noise of standard deviation `noise`.
   */
  | { kind: 'extract'; samplesPerExample: number; noise: number };

export type PassResult = { hits: number; loss: number } | { values: Float32Array };

/**
 * Each of the batch's inputs repeated k times in a row, plus noise of `scale` drawn with the
 * example's own seed (its index in the data): the same whatever the batching.
 */
function noisyCopies(x: tf.Tensor4D, k: number, scale: number, firstExample: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [count, ...shape] = x.shape;
    const copies = tf.reshape(tf.tile(tf.expandDims(x, 1), [1, k, 1, 1, 1]), [count * k, ...shape]);
    const noise = tf.concat(
      Array.from({ length: count }, (_, i) =>
        tf.randomNormal([k, ...shape], 0, scale, 'float32', firstExample + i + 1),
      ),
    );
    return tf.add(copies, noise) as tf.Tensor4D;
  });
}

/** `task` on the preprocessed batch `x`: examples `start` on of the data, labelled `y`. */
function computePass(
  inference: tfl.LayersModel,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  start: number,
  task: PassTask,
): PassResult {
  return tf.tidy(() => {
    if (task.kind === 'extract') {
      const k = task.samplesPerExample;
      const input = k > 1 ? noisyCopies(x, k, task.noise, start) : x;
      return { values: predictInOnePass(inference, input).dataSync() as Float32Array };
    }
    const out = predictInOnePass(inference, x);
    const logP = logProbabilities(out, task.probabilities);
    const picked = tf.sum(tf.mul(logP, tf.oneHot(y, out.shape[1]!)), 1);
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), y), 'float32'));
    return { hits: hits.dataSync()[0]!, loss: -tf.sum(picked).dataSync()[0]! };
  });
}

/**
 * `task` on each of `batches`, in order, with `model` folded (`foldForInference`: the same
 * predictions, fewer kernels).
 */
export function computePasses(
  model: tfl.LayersModel,
  preprocessing: Preprocessing,
  task: PassTask,
  batches: PassBatch[],
): PassResult[] {
  return withFoldedModel(model, (inference) =>
    batches.map((batch) =>
      withBatchTensors(batch.pixels, batch.labels, batch.shape, preprocessing, (x, y) =>
        computePass(inference, x, y, batch.start, task),
      ),
    ),
  );
}
