// Evaluation (top-1 accuracy, cross-entropy) and representation extraction at a named layer.
import { predictInOnePass, tf, tfl } from '@prune/compute';
import type { LabeledImages } from '@prune/data';
import {
  classifierInputLayer,
  LayerGraph,
  logProbabilities,
  outputsAreProbabilities,
  preprocessImages,
  requirePreprocessing,
  withFoldedModel,
  type ModelMetadata,
} from '@prune/models';
import { FailedPreconditionError, InvalidArgumentError } from '@prune/errors';

/** Examples per forward pass of an evaluation or extraction unless the caller sets it. */
const DEFAULT_BATCH = 250;
/**
 * The most examples per forward pass: a pass holds every example's activations at once (KL
 * scoring's passes are as large), so this bounds a trainer's memory whatever a request asks.
 */
export const MAX_EVALUATION_BATCH = 1024;

/** The examples per forward pass a request asks for (0 or unset: the default), checked. */
export function evaluationBatch(size: number | undefined): number {
  if (!size) return DEFAULT_BATCH;
  if (!Number.isInteger(size) || size < 1 || size > MAX_EVALUATION_BATCH)
    throw new InvalidArgumentError(
      `batch_size: must be a whole number from 1 to ${MAX_EVALUATION_BATCH} (examples per forward pass), got ${size}`,
    );
  return size;
}

/** Runs `fn` on consecutive preprocessed batches of `data`. */
function forEachBatch(
  data: LabeledImages,
  metadata: ModelMetadata,
  batchSize: number,
  fn: (x: tf.Tensor4D, start: number, count: number) => void,
): void {
  const perPass = evaluationBatch(batchSize);
  const size = data.height * data.width * data.channels;
  const preprocessing = requirePreprocessing(metadata);
  for (let start = 0; start < data.count; start += perPass) {
    const count = Math.min(perPass, data.count - start);
    const x = preprocessImages(
      data.pixels.subarray(start * size, (start + count) * size),
      [count, data.height, data.width, data.channels],
      preprocessing,
    );
    try {
      fn(x, start, count);
    } finally {
      x.dispose();
    }
  }
}

/**
 * Top-1 accuracy and mean cross-entropy of `model` on `data`, predicted with batch norm and ReLU
 * folded into the convolutions (`foldForInference`: the same predictions, fewer kernels).
 */
export function evaluateModel(
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  data: LabeledImages,
  batchSize = DEFAULT_BATCH,
): { accuracy: number; loss: number; examples: number } {
  const probabilities = outputsAreProbabilities(LayerGraph.of(model));
  let correct = 0;
  let lossSum = 0;
  withFoldedModel(model, (inference) =>
    forEachBatch(data, metadata, batchSize, (x, start, count) => {
      const [hits, loss] = tf.tidy(() => {
        const out = predictInOnePass(inference, x);
        const logP = logProbabilities(out, probabilities);
        const labels = tf.tensor1d(data.labels.subarray(start, start + count), 'int32');
        const picked = tf.sum(tf.mul(logP, tf.oneHot(labels, out.shape[1]!)), 1);
        const predicted = tf.argMax(out, 1);
        return [tf.sum(tf.cast(tf.equal(predicted, labels), 'float32')).dataSync()[0]!, -tf.sum(picked).dataSync()[0]!];
      });
      correct += hits;
      lossSum += loss;
    }),
  );
  return { accuracy: correct / data.count, loss: lossSum / data.count, examples: data.count };
}

/**
 * How a stochastic metric wants examples answered: each `samplesPerExample` times, its input plus
 * Gaussian noise of `inputNoise` times the standard deviation of all the inputs.
 */
export interface StochasticSampling {
  samplesPerExample: number;
  inputNoise: number;
}

/** The largest samples per example an extraction accepts: its rows and forward passes grow by that factor. */
export const MAX_SAMPLES_PER_EXAMPLE = 64;

/** The standard deviation of every preprocessed input value of `data`. */
function inputSpread(data: LabeledImages, metadata: ModelMetadata, batchSize: number): number {
  let [sum, squares, count] = [0, 0, 0];
  forEachBatch(data, metadata, batchSize, (x) => {
    const [s, q] = tf.tidy(() => [tf.sum(x).dataSync()[0]!, tf.sum(tf.square(x)).dataSync()[0]!]);
    [sum, squares, count] = [sum + s, squares + q, count + x.size];
  });
  return Math.sqrt(Math.max(0, squares / count - (sum / count) ** 2));
}

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

/**
 * The n x p output of `layer` (default: the classifier's input) for every example, predicted with
 * batch norm and ReLU folded into the convolutions before it (`foldForInference`); with
 * `stochastic`, n x samplesPerExample rows, each example's consecutive, under noise that depends
 * only on the data (every model sees the same noisy inputs).
 */
export function extractRepresentations(
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  data: LabeledImages,
  layer?: string,
  batchSize = DEFAULT_BATCH,
  stochastic?: StochasticSampling,
): { rows: number; columns: number; data: Float32Array; layer: string } {
  const rowsPerPass = evaluationBatch(batchSize);
  const k = stochastic?.samplesPerExample ?? 1;
  if (stochastic) {
    if (!Number.isInteger(k) || k < 2 || k > MAX_SAMPLES_PER_EXAMPLE)
      throw new InvalidArgumentError(
        `stochastic.samples_per_example: must be a whole number from 2 to ${MAX_SAMPLES_PER_EXAMPLE}, got ${k}`,
      );
    if (!(stochastic.inputNoise > 0 && stochastic.inputNoise <= 10))
      throw new InvalidArgumentError(
        `stochastic.input_noise: must be above 0 and at most 10 (times the input's standard deviation), got ${stochastic.inputNoise}`,
      );
  }
  const name = layer || classifierInputLayer(LayerGraph.of(model));
  const target = model.layers.find((l) => l.name === name);
  if (!target) throw new InvalidArgumentError(`layer: "${name}" is not a layer of the model`);
  const sub = tfl.model({ inputs: model.inputs, outputs: target.output as tfl.SymbolicTensor });
  const columns = (target.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.count * k * columns);
  const noise = stochastic ? stochastic.inputNoise * inputSpread(data, metadata, rowsPerPass) : 0;
  // Folding the sub-model keeps its output (the target layer's) as it is: nothing after it exists.
  withFoldedModel(sub, (inference) =>
    // A pass holds about rowsPerPass rows: rowsPerPass / k examples when each is answered k times.
    forEachBatch(data, metadata, Math.max(1, Math.floor(rowsPerPass / k)), (x, start) => {
      const values = tf.tidy(() => {
        const input = stochastic ? noisyCopies(x, k, noise, start) : x;
        return predictInOnePass(inference, input).dataSync() as Float32Array;
      });
      out.set(values, start * k * columns);
    }),
  );
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new FailedPreconditionError(
      `the output of layer "${name}" is ${out[bad]} for example ${Math.floor(bad / columns / k)}: the model overflows ` +
        '(fine-tuning diverged?); lower the learning rate',
    );
  return { rows: data.count * k, columns, data: out, layer: name };
}
