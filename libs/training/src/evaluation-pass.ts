// One forward pass of an evaluation or a representation extraction: what evaluate.ts runs on its
// own thread and evaluation-worker.ts on a replica, so both compute the same thing.
import { compiledPredictor, tf, type tfl } from '@prune/compute';
import { logProbabilities, withFoldedModel, type Preprocessing } from '@prune/models';
import { withBatchTensors } from './batch-tensors.js';

/** A batch of raw pixels (NHWC) and labels: examples `start` to `start + shape[0]` of the data. */
export interface PassBatch {
  start: number;
  shape: [number, number, number, number];
  pixels: Uint8Array | Float32Array;
  labels: Uint8Array;
}

/** Hits and summed cross-entropy; `probabilities`: the model's outputs are softmax already. */
export interface EvaluateTask {
  kind: 'evaluate';
  probabilities: boolean;
}

/**
 * The model's output (the extracted layer's); with `samplesPerExample` > 1, each example that
 * many times in a row under Gaussian input noise of standard deviation `noise`.
 */
export interface ExtractTask {
  kind: 'extract';
  samplesPerExample: number;
  noise: number;
}

/** What each pass computes. */
export type PassTask = EvaluateTask | ExtractTask;

/** What one pass answers, per kind of task. */
interface PassResults {
  evaluate: { hits: number; loss: number };
  extract: { values: Float32Array };
}
export type PassResult<T extends PassTask = PassTask> = PassResults[T['kind']];

/** Takes the result of the batch at `index` (its position in the batches passed) when it is computed. */
export type OnPassResult<T extends PassTask> = (index: number, result: PassResult<T>) => void;

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
function computePass<T extends PassTask>(
  predict: (x: tf.Tensor) => tf.Tensor,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  start: number,
  task: T,
): PassResult<T> {
  const result = tf.tidy((): PassResult => {
    if (task.kind === 'extract') {
      const k = task.samplesPerExample;
      const input = k > 1 ? noisyCopies(x, k, task.noise, start) : x;
      return { values: predict(input).dataSync() as Float32Array };
    }
    const out = predict(x);
    const logP = logProbabilities(out, task.probabilities);
    const picked = tf.sum(tf.mul(logP, tf.oneHot(y, out.shape[1]!)), 1);
    const hits = tf.sum(tf.cast(tf.equal(tf.argMax(out, 1), y), 'float32'));
    return { hits: hits.dataSync()[0]!, loss: -tf.sum(picked).dataSync()[0]! };
  });
  return result as PassResult<T>; // the branch taken is the one of task.kind
}

/**
 * `task` on each of `batches`, in order, with `model` folded (`foldForInference`: the same
 * predictions, fewer kernels) and its forward pass compiled (`compiledPredictor`: one TensorFlow graph
 * per batch shape from the fourth batch on, on native TensorFlow); each result goes to `onResult`
 * as soon as it is computed.
 */
export function computePasses<T extends PassTask>(
  model: tfl.LayersModel,
  preprocessing: Preprocessing,
  task: T,
  batches: PassBatch[],
  onResult: OnPassResult<T>,
): void {
  withFoldedModel(model, (inference) => {
    const predictor = compiledPredictor(inference);
    try {
      batches.forEach((batch, index) =>
        onResult(
          index,
          withBatchTensors(batch.pixels, batch.labels, batch.shape, preprocessing, (x, y) =>
            computePass(predictor.predict, x, y, batch.start, task),
          ),
        ),
      );
    } finally {
      predictor.dispose();
    }
  });
}
