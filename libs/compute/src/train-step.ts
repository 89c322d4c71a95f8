// One SGD step of a tfjs-layers model: forward in training mode (batch-norm batch statistics,
// moving averages updated), softmax cross-entropy on logits (mixed, when distilling, with the
// cross-entropy toward a teacher's softened outputs), backward, optimizer update.
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

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

/** Returns a function that runs one training step on (images NHWC, integer labels). */
export function makeTrainStep(
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  options: TrainStepOptions = {},
): (images: tf.Tensor4D, labels: tf.Tensor1D) => TrainStepResult {
  const decay = options.weightDecay ?? 0;
  if (decay > 0 && !options.decayedWeights)
    throw new Error('makeTrainStep: weightDecay needs decayedWeights (the weights it applies to)');
  const decayed = decay > 0 ? options.decayedWeights! : [];
  const numClasses = (model.outputs[0]!.shape as number[]).at(-1)!;
  return (images, labels) => {
    const [lossValue, correct] = tf.tidy(() => {
      const oneHot = tf.oneHot(tf.cast(labels, 'int32'), numClasses);
      let hits: tf.Tensor | undefined;
      const teacher = options.teacher;
      const soft =
        teacher && teacher.weight > 0
          ? tf.softmax(tf.div(teacher.model.apply(images, { training: false }) as tf.Tensor, teacher.temperature))
          : undefined;
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.apply(images, { training: true }) as tf.Tensor;
        // Kept: everything else made inside variableGrads is disposed when it returns.
        hits = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(labels, 'int32')), 'float32')));
        const hard = tf.losses.softmaxCrossEntropy(oneHot, logits) as tf.Scalar;
        if (!soft) return hard;
        const { weight, temperature } = teacher!;
        const distilled = tf.losses.softmaxCrossEntropy(soft, tf.div(logits, temperature)) as tf.Scalar;
        return tf.add(tf.mul(hard, 1 - weight), tf.mul(distilled, weight * temperature * temperature)) as tf.Scalar;
      });
      for (const w of decayed) {
        // Gradients are keyed by the engine's variable name, which TF.js makes unique per
        // process ("conv1/kernel_3" for the fourth model built); the layer's own name is not.
        const variable = w.read() as tf.Variable;
        if (grads[variable.name]) grads[variable.name] = tf.add(grads[variable.name]!, tf.mul(variable, decay));
      }
      optimizer.applyGradients(grads);
      return [value, hits!];
    });
    const result = { loss: lossValue.dataSync()[0]!, accuracy: correct.dataSync()[0]! / labels.shape[0] };
    tf.dispose([lossValue, correct]);
    return result;
  };
}
