// BatchNormalization whose training-mode forward and backward are a handful of fused kernels:
// TensorFlow's FusedBatchNorm/FusedBatchNormGrad on the native backend, our own elsewhere.
//
// Why (wasm): tfjs-layers normalizes in training with tf.moments + tf.batchNorm, whose backward pass
// is ~20 separate elementwise and broadcast ops per layer (more time than the convolutions on
// wasm). The analytic gradient of batch normalization needs two channel reductions and two
// per-channel affine maps, which FusedBatchNorm itself computes in one pass each.
// Inference uses the same per-channel affine form (x * scale + shift), which on wasm is faster
// than the FusedBatchNorm kernel. The class keeps the Keras/TF.js class name, config and
// weights, so saved and imported models load into it unchanged.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type NativeBackend, type OpAttr, float32Attr, nativeBackend } from './native-kernels.js';

type Tensor = tf.Tensor;

/**
 * Per-channel affine map a*x + b (a, b of shape [C]) as a broadcast multiply and add: on wasm
 * these two kernels are together ~2x faster than one FusedBatchNorm kernel.
 */
function channelAffine(x: Tensor, a: Tensor, b: Tensor): Tensor {
  return tf.add(tf.mul(x, a), b);
}

const onesColumns = new Map<number, Tensor>();

/**
 * Sums over every axis but the last, as a [C] vector. Written as [M, C]^T x ones[M, 1]: on wasm
 * this is one XNNPACK matrix product (with the constant ones packed once), several times faster
 * than the Sum kernel, which transposes first. Exact up to float32 summation order.
 */
function channelSum(x: Tensor): Tensor {
  const channels = x.shape.at(-1)!;
  const rows = x.size / channels;
  let ones = onesColumns.get(rows);
  if (!ones) {
    ones = tf.keep(tf.ones([rows, 1]));
    onesColumns.set(rows, ones);
  }
  return tf.reshape(tf.matMul(tf.reshape(x, [rows, channels]), ones, true, false), [channels]);
}

/** gamma * (x - mean) / sqrt(variance + epsilon) + beta, as one per-channel affine map. */
function normalizeWith(
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
): Tensor {
  const scale = tf.mul(gamma, tf.rsqrt(tf.add(variance, epsilon)));
  return channelAffine(x, scale, tf.sub(beta, tf.mul(mean, scale)));
}

/**
 * Batch normalization over all axes but the last, with batch statistics and the exact
 * gradient with respect to x, gamma and beta. Returns the output and the (biased) batch mean
 * and variance for the moving averages.
 */
export function batchNormTraining(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  const count = x.size / x.shape.at(-1)!;
  let stats: { mean: Tensor; variance: Tensor } | undefined;
  const normalize = tf.customGrad(((xT: Tensor, g: Tensor, b: Tensor, save: tf.GradSaveFunc) => {
    const mean = tf.div(channelSum(xT), count);
    const variance = tf.div(channelSum(tf.squaredDifference(xT, mean)), count);
    // Statistics computed here, inside the gradient boundary, so that no gradient flows
    // through them separately; copies leave the scope for the moving averages.
    stats = { mean: tf.keep(tf.clone(mean)), variance: tf.keep(tf.clone(variance)) };
    save([xT, g, mean, variance]);
    return {
      value: normalizeWith(xT, mean, variance, g, b, epsilon),
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const dyT = dy as Tensor;
        const [xs, gs, mean, variance] = saved as [Tensor, Tensor, Tensor, Tensor];
        const invStd = tf.rsqrt(tf.add(variance, epsilon));
        const dBeta = channelSum(dyT);
        // sum(dy * xhat) = invStd * (sum(dy * x) - mean * sum(dy))
        const dGamma = tf.mul(invStd, tf.sub(channelSum(tf.mul(dyT, xs)), tf.mul(mean, dBeta)));
        // dx = k*dy + p*x + q, with k = gamma*invStd, p = -k*invStd*dGamma/M,
        // q = -p*mean - k*dBeta/M (standard batch-norm backward, regrouped per channel).
        const k = tf.mul(gs, invStd);
        const p = tf.neg(tf.div(tf.mul(tf.mul(k, invStd), dGamma), count));
        const q = tf.sub(tf.neg(tf.mul(p, mean)), tf.div(tf.mul(k, dBeta), count));
        const dx = tf.add(channelAffine(dyT, k, q), tf.mul(xs, p));
        return [dx, dGamma, dBeta];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = normalize(x, gamma, beta) as Tensor;
  return { y, ...stats! };
}

function nativeBatchNormAttrs(backend: NativeBackend, epsilon: number, isTraining: boolean): OpAttr[] {
  const { binding } = backend;
  return [
    float32Attr(backend),
    { name: 'epsilon', type: binding.TF_ATTR_FLOAT, value: epsilon },
    { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'is_training', type: binding.TF_ATTR_BOOL, value: isTraining },
  ];
}

/**
 * Batch normalization in training mode on native TensorFlow: its FusedBatchNorm and
 * FusedBatchNormGrad kernels (one pass each over the activations), which TF.js only uses for
 * inference. Same contract as batchNormTraining: output, biased batch mean and variance.
 */
function batchNormTrainingNative(
  backend: NativeBackend,
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  const attrs = nativeBatchNormAttrs(backend, epsilon, true);
  const count = x.size / x.shape.at(-1)!;
  let stats: { mean: Tensor; variance: Tensor } | undefined;
  const normalize = tf.customGrad(((xT: Tensor, g: Tensor, b: Tensor, save: tf.GradSaveFunc) => {
    const empty = tf.tensor1d([], 'float32'); // population statistics: unused in training
    const [y, batchMean, unbiasedVariance, reserve1, reserve2] = backend.executeMultipleOutputs(
      'FusedBatchNorm',
      attrs,
      [xT, g, b, empty, empty],
      5,
    );
    // TensorFlow returns the Bessel-corrected variance; tfjs-layers' moving average uses the biased one.
    stats = { mean: tf.keep(batchMean!), variance: tf.keep(tf.mul(unbiasedVariance!, (count - 1) / count)) };
    save([xT, g, reserve1!, reserve2!]);
    return {
      value: y!,
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const [dx, dGamma, dBeta] = backend.executeMultipleOutputs(
          'FusedBatchNormGrad',
          attrs,
          [dy as Tensor, ...saved],
          5,
        );
        return [dx!, dGamma!, dBeta!];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = normalize(x, gamma, beta) as Tensor;
  return { y, ...stats! };
}

/**
 * Batch normalization with population statistics on native TensorFlow: one FusedBatchNorm pass
 * over the activations instead of a broadcast multiply and add (2.5x less time in ResNet-56
 * inference at two threads).
 */
function batchNormInferenceNative(
  backend: NativeBackend,
  x: Tensor,
  mean: Tensor,
  variance: Tensor,
  gamma: Tensor,
  beta: Tensor,
  epsilon: number,
): Tensor {
  const attrs = nativeBatchNormAttrs(backend, epsilon, false);
  return backend.executeMultipleOutputs('FusedBatchNorm', attrs, [x, gamma, beta, mean, variance], 5)[0]!;
}

type BatchNormalizationArgs = NonNullable<Parameters<typeof tfl.layers.batchNormalization>[0]>;

const StockBatchNormalization = tfl.layers.batchNormalization({}).constructor as unknown as {
  new (args?: BatchNormalizationArgs): tfl.layers.Layer;
  className: string;
};

/** The fields of the stock layer this subclass reads (declared private in its typings). */
interface BatchNormFields {
  axis: number | number[];
  momentum: number;
  epsilon: number;
  gamma: tfl.LayerVariable | null;
  beta: tfl.LayerVariable | null;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

export class BatchNormalization extends StockBatchNormalization {
  static override className = 'BatchNormalization';

  override call(inputs: Tensor | Tensor[], kwargs: Record<string, unknown>): Tensor | Tensor[] {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    const f = this as unknown as BatchNormFields;
    const axis = Array.isArray(f.axis) ? f.axis : [f.axis];
    const lastAxis = axis.length === 1 && (axis[0] === -1 || axis[0] === x.rank - 1);
    if (!lastAxis) return super.call(inputs, kwargs);
    const native = x.rank === 4 ? nativeBackend() : undefined;
    if (!kwargs['training']) {
      // The fused native kernel has no gradient: under tf.grad (an attack differentiating the
      // inference function with respect to its input) the plain ops run instead.
      const differentiating = tf.engine().isTapeOn();
      return tf.tidy(() => {
        const channels = x.shape.at(-1)!;
        const gamma = f.gamma ? f.gamma.read() : tf.ones([channels]);
        const beta = f.beta ? f.beta.read() : tf.zeros([channels]);
        const [mean, variance] = [f.movingMean.read(), f.movingVariance.read()];
        return native && !differentiating
          ? batchNormInferenceNative(native, x, mean, variance, gamma, beta, f.epsilon)
          : normalizeWith(x, mean, variance, gamma, beta, f.epsilon);
      });
    }
    return tf.tidy(() => {
      const channels = x.shape.at(-1)!;
      const gamma = f.gamma ? f.gamma.read() : tf.ones([channels]);
      const beta = f.beta ? f.beta.read() : tf.zeros([channels]);
      const { y, mean, variance } = native
        ? batchNormTrainingNative(native, x, gamma, beta, f.epsilon)
        : batchNormTraining(x, gamma, beta, f.epsilon);
      // Same update rule as tfjs-layers: moving = moving - (moving - batch) * (1 - momentum).
      for (const [variable, batch] of [
        [f.movingMean, mean],
        [f.movingVariance, variance],
      ] as const) {
        const old = variable.read();
        variable.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - f.momentum)));
      }
      tf.dispose([mean, variance]); // kept by batchNormTraining, not owned by this scope
      return y;
    });
  }
}

// Replaces the stock class in the deserialization registry: every model loaded from JSON
// gets the fast training path.
tf.serialization.registerClass(
  BatchNormalization as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
);

/** Factory matching tfl.layers.batchNormalization, returning the fast layer. */
export function batchNormalization(args: BatchNormalizationArgs = {}): tfl.layers.Layer {
  return new BatchNormalization(args);
}
