// Evaluation (top-1 accuracy, cross-entropy) and representation extraction at a named layer.
import { tf, tfl } from '@prune/compute';
import type { LabeledImages } from '@prune/data';
import {
  classifierInputLayer,
  LayerGraph,
  modelArtifacts,
  outputsAreProbabilities,
  preprocessImages,
  requirePreprocessing,
  type ModelMetadata,
} from '@prune/models';
import { FailedPreconditionError, InvalidArgumentError } from '@prune/errors';
import { computePasses, type OnPassResult, type PassBatch, type PassTask } from './evaluation-pass.js';
import { EvaluationReplicas, evaluationReplicas } from './evaluation-replicas.js';

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

/** The consecutive batches of `data`, `perPass` examples each (the last fewer): raw pixels and labels. */
function batchesOf(data: LabeledImages, perPass: number): PassBatch[] {
  const size = data.height * data.width * data.channels;
  const batches: PassBatch[] = [];
  for (let start = 0; start < data.count; start += perPass) {
    const count = Math.min(perPass, data.count - start);
    batches.push({
      start,
      shape: [count, data.height, data.width, data.channels],
      pixels: data.pixels.subarray(start * size, (start + count) * size),
      labels: data.labels.subarray(start, start + count),
    });
  }
  return batches;
}

/**
 * `task` on each batch of `data` with `model` folded, each result to `onResult` with its batch's
 * index: on this thread, or spread over PRUNE_EVAL_REPLICAS model replicas in threads.
 */
async function runPasses<T extends PassTask>(
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  data: LabeledImages,
  perPass: number,
  task: T,
  onResult: OnPassResult<T>,
): Promise<void> {
  const preprocessing = requirePreprocessing(metadata);
  const batches = batchesOf(data, evaluationBatch(perPass));
  const replicas = evaluationReplicas();
  if (replicas <= 1 || batches.length <= 1) return computePasses(model, preprocessing, task, batches, onResult);
  const artifacts = await modelArtifacts(model);
  // Taken after the await: a set replaced meanwhile (a replica failed) is not sent new work.
  await EvaluationReplicas.of(replicas).run(artifacts, preprocessing, task, batches, onResult);
}

/**
 * Top-1 accuracy and mean cross-entropy of `model` on `data`, predicted with batch norm and ReLU
 * folded into the convolutions (`foldForInference`: the same predictions, fewer kernels).
 */
export async function evaluateModel(
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  data: LabeledImages,
  batchSize = DEFAULT_BATCH,
): Promise<{ accuracy: number; loss: number; examples: number }> {
  const task = { kind: 'evaluate', probabilities: outputsAreProbabilities(LayerGraph.of(model)) } as const;
  const hits: number[] = [];
  const losses: number[] = [];
  await runPasses(model, metadata, data, batchSize, task, (i, result) => {
    hits[i] = result.hits;
    losses[i] = result.loss;
  });
  // Summed in batch order, whichever replica answered first.
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return { accuracy: sum(hits) / data.count, loss: sum(losses) / data.count, examples: data.count };
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
  const preprocessing = requirePreprocessing(metadata);
  let [sum, squares, count] = [0, 0, 0];
  for (const batch of batchesOf(data, batchSize)) {
    const x = preprocessImages(batch.pixels, batch.shape, preprocessing);
    const [s, q] = tf.tidy(() => [tf.sum(x).dataSync()[0]!, tf.sum(tf.square(x)).dataSync()[0]!]);
    [sum, squares, count] = [sum + s, squares + q, count + x.size];
    x.dispose();
  }
  return Math.sqrt(Math.max(0, squares / count - (sum / count) ** 2));
}

/**
 * The n x p output of `layer` (default: the classifier's input) for every example, predicted with
 * batch norm and ReLU folded into the convolutions before it (`foldForInference`); with
 * `stochastic`, n x samplesPerExample rows, each example's consecutive, under noise that depends
 * only on the data (every model sees the same noisy inputs).
 */
export async function extractRepresentations(
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  data: LabeledImages,
  layer?: string,
  batchSize = DEFAULT_BATCH,
  stochastic?: StochasticSampling,
): Promise<{ rows: number; columns: number; data: Float32Array; layer: string }> {
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
  // A pass holds about rowsPerPass rows: rowsPerPass / k examples when each is answered k times.
  const perPass = Math.max(1, Math.floor(rowsPerPass / k));
  const task = { kind: 'extract', samplesPerExample: k, noise } as const;
  await runPasses(sub, metadata, data, perPass, task, (i, result) => out.set(result.values, i * perPass * k * columns));
  const bad = out.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0)
    throw new FailedPreconditionError(
      `the output of layer "${name}" is ${out[bad]} for example ${Math.floor(bad / columns / k)}: the model overflows ` +
        '(fine-tuning diverged?); lower the learning rate',
    );
  return { rows: data.count * k, columns, data: out, layer: name };
}
