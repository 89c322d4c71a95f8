// Evaluation (top-1 accuracy, cross-entropy) and representation extraction at a named layer.
import { tf, tfl } from '@prune/compute';
import type { LabeledImages } from '@prune/data';
import {
  classifierInputLayer,
  LayerGraph,
  logProbabilities,
  outputsAreProbabilities,
  preprocessImages,
  requirePreprocessing,
  type ModelMetadata,
} from '@prune/models';
import { FailedPreconditionError, InvalidArgumentError } from '@prune/errors';

/** Runs `fn` on consecutive preprocessed batches of `data`. */
function forEachBatch(
  data: LabeledImages,
  metadata: ModelMetadata,
  batchSize: number,
  fn: (x: tf.Tensor4D, start: number, count: number) => void,
): void {
  const size = data.height * data.width * data.channels;
  const preprocessing = requirePreprocessing(metadata);
  for (let start = 0; start < data.count; start += batchSize) {
    const count = Math.min(batchSize, data.count - start);
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

export function evaluateModel(
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  data: LabeledImages,
  batchSize = 250,
): { accuracy: number; loss: number; examples: number } {
  const probabilities = outputsAreProbabilities(LayerGraph.of(model));
  let correct = 0;
  let lossSum = 0;
  forEachBatch(data, metadata, batchSize, (x, start, count) => {
    const [hits, loss] = tf.tidy(() => {
      const out = model.predict(x) as tf.Tensor;
      const logP = logProbabilities(out, probabilities);
      const labels = tf.tensor1d(data.labels.subarray(start, start + count), 'int32');
      const picked = tf.sum(tf.mul(logP, tf.oneHot(labels, out.shape[1]!)), 1);
      const predicted = tf.argMax(out, 1);
      return [tf.sum(tf.cast(tf.equal(predicted, labels), 'float32')).dataSync()[0]!, -tf.sum(picked).dataSync()[0]!];
    });
    correct += hits;
    lossSum += loss;
  });
  return { accuracy: correct / data.count, loss: lossSum / data.count, examples: data.count };
}

/** The n x p output of `layer` (default: the classifier's input) for every example. */
export function extractRepresentations(
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  data: LabeledImages,
  layer?: string,
  batchSize = 250,
): { rows: number; columns: number; data: Float32Array; layer: string } {
  const name = layer || classifierInputLayer(LayerGraph.of(model));
  const target = model.layers.find((l) => l.name === name);
  if (!target) throw new InvalidArgumentError(`layer: "${name}" is not a layer of the model`);
  const sub = tfl.model({ inputs: model.inputs, outputs: target.output as tfl.SymbolicTensor });
  const columns = (target.outputShape as number[]).slice(1).reduce((a, b) => a * b, 1);
  const out = new Float32Array(data.count * columns);
  forEachBatch(data, metadata, batchSize, (x, start) => {
    const values = tf.tidy(() => (sub.predict(x) as tf.Tensor).dataSync() as Float32Array);
    out.set(values, start * columns);
  });
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new FailedPreconditionError(
      `the output of layer "${name}" is ${out[bad]} for example ${Math.floor(bad / columns)}: the model overflows ` +
        '(fine-tuning diverged?); lower the learning rate',
    );
  return { rows: data.count, columns, data: out, layer: name };
}
