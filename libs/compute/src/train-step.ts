// One SGD step of a tfjs-layers model: forward in training mode (batch-norm batch statistics,
// moving averages updated), softmax cross-entropy on logits (mixed, when distilling, with the
// cross-entropy toward a teacher's softened outputs), backward, optimizer update.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { compileStep, type StepFunction } from './graph/compiled-step.js';
import { VariableRateMomentum } from './graph/variable-rate-momentum.js';

export interface TrainStepResult {
  loss: number;
  /** Fraction of the batch classified correctly (before the update). */
  accuracy: number;
}

export interface TrainStepOptions {
  /** L2 penalty added to the gradient of each of `decayedWeights`. */
  weightDecay?: number;
  /**
   * The weights decay applies to (with @prune/models: decayedWeights(model), what each layer's
   * rule says: kernels, not biases or batch-norm parameters). Required with a weightDecay.
   */
  decayedWeights?: tfl.LayerVariable[];
  /**
   * Distill from `model` (inference mode, not trained): the loss is (1 - weight) x the labels'
   * cross-entropy + weight x temperature^2 x the cross-entropy toward its outputs softened at
   * `temperature` (Hinton et al. 2015; T^2 keeps the soft gradients' scale as T changes). The loss
   * reported is that mix: its cross-entropy part includes the teacher's entropy, so unlike a KL
   * divergence it does not reach 0 when the two agree (compare losses of distilled runs among themselves).
   */
  teacher?: { model: tfl.LayersModel; weight: number; temperature: number };
}

/** One training step on (images NHWC, integer labels); `dispose` releases its compiled graphs. */
export interface TrainStep {
  /**
   * `index`: the step's position in the whole run, counted from 0 (a resumed job passes the step
   * it resumes at): it decides whether a graph runs the step, so that a resumed job computes what
   * the uninterrupted one did. Default: this process's count of steps.
   */
  (images: tf.Tensor4D, labels: tf.Tensor1D, index?: number): TrainStepResult;
  /** How the next step like the last will run: 'graph', 'tracing', 'eager: <why>', or 'eager' when not compiled. */
  state(): string;
  dispose(): void;
}

/**
 * Returns a function that runs one training step on (images NHWC, integer labels). With a
 * VariableRateMomentum optimizer on native TensorFlow, the step runs as one TensorFlow graph after
 * three calls (compiled-step.ts) unless PRUNE_GRAPHS=off; with any other optimizer it runs op by op.
 */
export function makeTrainStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  options: TrainStepOptions = {},
): TrainStep {
  const lossOf = batchLoss(model, options);
  const update = decayedUpdate(optimizer, options);
  const tensors: StepFunction = ([images, labels]) =>
    tf.tidy(() => {
      const { value, hits, grads } = lossOf(images as tf.Tensor4D, labels as tf.Tensor1D);
      update(grads);
      return [value, hits];
    });
  const compiled = optimizer instanceof VariableRateMomentum ? { optimizer, run: compileStep(tensors) } : undefined;
  const step = (images: tf.Tensor4D, labels: tf.Tensor1D, index?: number): TrainStepResult => {
    let outputs: tf.Tensor[];
    if (compiled) {
      // One update per step, however many rehearsals the compiled step made (they are undone).
      const updates = compiled.optimizer.iterations;
      outputs = compiled.run([images, labels], index);
      compiled.optimizer.setIterations(updates + 1);
    } else outputs = tensors([images, labels]);
    const [lossValue, correct] = outputs as [tf.Tensor, tf.Tensor];
    const result = { loss: lossValue.dataSync()[0]!, accuracy: correct.dataSync()[0]! / labels.shape[0] };
    tf.dispose(outputs);
    return result;
  };
  return Object.assign(step, {
    state: () => compiled?.run.state() || 'eager',
    dispose: () => compiled?.run.dispose(),
  });
}

/** A training step split for data parallelism (makeReplicaStep). */
export interface ReplicaStep {
  /** The shard's loss, correct count and gradients; batch-norm moving statistics updated from it. */
  gradients(images: tf.Tensor4D, labels: tf.Tensor1D): ShardGradients;
  /** The non-trainable weights (batch-norm moving statistics, frozen weights), flattened in model order. */
  statistics(): Float32Array;
  /** Sets the non-trainable weights to `statistics` and updates the weights with `gradients`. */
  apply(gradients: Float32Array, statistics: Float32Array): void;
}

/** One shard's part of a data-parallel step. */
export interface ShardGradients {
  /** Mean loss over the shard. */
  loss: number;
  /** Examples of the shard classified correctly. */
  hits: number;
  /** Gradients of the shard's mean loss, flattened in the order of `model.trainableWeights`. */
  gradients: Float32Array;
}

/**
 * A training step split in two for data parallelism: each model replica computes its shard's
 * gradients, the replicas combine them, and each applies the same combined gradients (weight decay
 * added) with its own optimizer, so replicas that start equal stay equal. Flat gradients follow
 * `model.trainableWeights`, which is the same on every replica of one architecture. Each replica's
 * batch normalization uses its shard's statistics (as data-parallel replicas without synchronized
 * batch norm do); the replicas then share one combination of their moving statistics.
 */
export function makeReplicaStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  options: TrainStepOptions = {},
): ReplicaStep {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const statistics = model.nonTrainableWeights.map((w) => w.read() as tf.Variable);
  const lossOf = batchLoss(model, options, variables);
  const update = decayedUpdate(optimizer, options);
  return {
    gradients(images, labels) {
      const { value, hits, grads } = lossOf(images, labels);
      try {
        // A variable the loss does not reach has no gradient: zeros (so, unlike makeTrainStep,
        // weight decay and momentum still move it; every weight of the models pruned here is reached).
        const parts = variables.map((v) => (grads[v.name]?.dataSync() as Float32Array) ?? new Float32Array(v.size));
        return { loss: value.dataSync()[0]!, hits: hits.dataSync()[0]!, gradients: flatten(parts) };
      } finally {
        tf.dispose([value, hits, ...Object.values(grads)]);
      }
    },
    statistics: () => flatten(statistics.map((v) => v.dataSync() as Float32Array)),
    apply(gradients, values) {
      const expected = variables.reduce((n, v) => n + v.size, 0);
      if (gradients.length !== expected)
        throw new Error(
          `replica step: ${gradients.length} gradient values, the model's trainable weights have ${expected}`,
        );
      tf.tidy(() => {
        let offset = 0;
        for (const v of statistics) {
          v.assign(tf.tensor(values.subarray(offset, offset + v.size), v.shape));
          offset += v.size;
        }
      });
      tf.tidy(() => {
        let offset = 0;
        const grads: tf.NamedTensorMap = {};
        for (const v of variables) {
          grads[v.name] = tf.tensor(gradients.subarray(offset, offset + v.size), v.shape);
          offset += v.size;
        }
        update(grads);
      });
    },
  };
}

/**
 * The loss of a batch (mixed with distillation when the options have a teacher), its correct
 * count and the loss's gradients with respect to `variables` (every trainable variable when
 * omitted); the caller disposes all three.
 */
function batchLoss(
  model: tfl.LayersModel,
  options: TrainStepOptions,
  variables?: tf.Variable[],
): (images: tf.Tensor4D, labels: tf.Tensor1D) => { value: tf.Scalar; hits: tf.Scalar; grads: tf.NamedTensorMap } {
  const numClasses = (model.outputs[0]!.shape as number[]).at(-1)!;
  const teacher = options.teacher && options.teacher.weight > 0 ? options.teacher : undefined;
  return (images, labels) => {
    let hits: tf.Scalar | undefined;
    const { value, grads } = tf.tidy(() => {
      const oneHot = tf.oneHot(tf.cast(labels, 'int32'), numClasses);
      const soft = teacher
        ? tf.softmax(tf.div(teacher.model.apply(images, { training: false }) as tf.Tensor, teacher.temperature))
        : undefined;
      return tf.variableGrads(() => {
        const logits = model.apply(images, { training: true }) as tf.Tensor;
        // Kept: everything else made inside variableGrads is disposed when it returns.
        hits = tf.keep(
          tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'float32')),
        ) as tf.Scalar;
        const hard = tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
        if (!soft) return hard;
        const { weight, temperature } = teacher!;
        const distilled = tf.losses.softmaxCrossEntropy(soft, tf.div(logits, temperature)) as tf.Scalar;
        return tf.add(tf.mul(hard, 1 - weight), tf.mul(distilled, weight * temperature * temperature)) as tf.Scalar;
      }, variables);
    });
    return { value, hits: hits!, grads };
  };
}

/** Applies gradients with `optimizer`, weight decay added to those of the decayed weights. */
function decayedUpdate(optimizer: tf.Optimizer, options: TrainStepOptions): (grads: tf.NamedTensorMap) => void {
  const decay = options.weightDecay ?? 0;
  if (decay > 0 && !options.decayedWeights)
    throw new Error('weightDecay needs decayedWeights (the weights it applies to)');
  const decayed = decay > 0 ? options.decayedWeights! : [];
  return (grads) =>
    tf.tidy(() => {
      for (const w of decayed) {
        // Gradients are keyed by the engine's variable name, which TF.js makes unique per
        // process ("conv1/kernel_3" for the fourth model built); the layer's own name is not.
        const variable = w.read() as tf.Variable;
        if (grads[variable.name]) grads[variable.name] = tf.add(grads[variable.name]!, tf.mul(variable, decay));
      }
      optimizer.applyGradients(grads);
    });
}

function flatten(parts: Float32Array[]): Float32Array {
  const flat = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    flat.set(p, offset);
    offset += p.length;
  }
  return flat;
}
