// LayerNormalization over the last axis with its analytic gradient as one custom-gradient op.
//
// Why: tfjs-layers normalizes with tf.moments, tiles the statistics to the input's full shape and
// calls tf.batchNorm, whose generic backward pass is a long chain of broadcast ops: most of a small
// Transformer's training step (`npm run bench:transformer` compares the two: 9-15x per step on
// the native backend). The analytic gradient needs two reductions over the features per token.
// The class keeps the Keras/TF.js class name, config and weights, so saved and imported models
// load into it unchanged; other axes fall back to the stock computation.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

type LayerNormalizationArgs = NonNullable<Parameters<typeof tfl.layers.layerNormalization>[0]>;

const StockLayerNormalization = tfl.layers.layerNormalization({}).constructor as unknown as {
  new (args?: LayerNormalizationArgs): tfl.layers.Layer;
  className: string;
};

/** The fields of the stock layer this subclass reads (declared private in its typings). */
interface LayerNormFields {
  axis: number | number[];
  epsilon: number;
  gamma: tfl.LayerVariable | null;
  beta: tfl.LayerVariable | null;
}

/** gamma * (x - mean) / sqrt(variance + epsilon) + beta over the last axis, with its exact gradient. */
export function layerNormLastAxis(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, epsilon: number): tf.Tensor {
  const normalize = tf.customGrad((input, scale, shift, save) => {
    const [xIn, g, b] = [input, scale, shift] as tf.Tensor[];
    const centered = tf.sub(xIn!, tf.mean(xIn!, -1, true));
    const inverseStd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), epsilon));
    const normalized = tf.mul(centered, inverseStd);
    (save as tf.GradSaveFunc)([normalized, inverseStd, g!]);
    return {
      value: tf.add(tf.mul(normalized, g!), b!),
      gradFunc: (dy, saved) => {
        const [xHat, invStd, gam] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        const features = xHat.shape.at(-1)!;
        const dyRows = tf.reshape(dy as tf.Tensor, [-1, features]);
        const dXHat = tf.mul(dy as tf.Tensor, gam);
        const dx = tf.mul(
          invStd,
          tf.sub(tf.sub(dXHat, tf.mean(dXHat, -1, true)), tf.mul(xHat, tf.mean(tf.mul(dXHat, xHat), -1, true))),
        );
        const dGamma = tf.sum(tf.mul(dyRows, tf.reshape(xHat, [-1, features])), 0);
        return [dx, dGamma, tf.sum(dyRows, 0)];
      },
    };
  });
  return normalize(x, gamma, beta);
}

export class LayerNormalization extends StockLayerNormalization {
  static override className = 'LayerNormalization';

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const f = this as unknown as LayerNormFields;
    const axis = Array.isArray(f.axis) ? f.axis : [f.axis];
    if (axis.length !== 1 || (axis[0] !== -1 && axis[0] !== x.rank - 1)) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      const features = x.shape.at(-1)!;
      const gamma = f.gamma ? f.gamma.read() : tf.ones([features]);
      const beta = f.beta ? f.beta.read() : tf.zeros([features]);
      return layerNormLastAxis(x, gamma, beta, f.epsilon);
    });
  }
}

// Replaces the stock class in the deserialization registry: every model loaded from JSON gets it.
tf.serialization.registerClass(
  LayerNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
);

/** Factory matching tfl.layers.layerNormalization, returning the fast layer. */
export function layerNormalization(args: LayerNormalizationArgs = {}): tfl.layers.Layer {
  return new LayerNormalization(args);
}
