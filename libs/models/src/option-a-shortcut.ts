// The parameter-free "option A" shortcut of He et al. (2016) for CIFAR ResNets: when a stage
// halves the resolution and doubles the width, the identity is subsampled (x[:, ::2, ::2, :])
// and zero-padded in channels. TF.js has no such layer, so it is a registered custom layer:
// it serializes by name and config only, so loading a model never runs code from the file.
import { tf, tfl } from '@prune/compute';

export interface OptionAShortcutConfig {
  /** Zero channels added before the input channels. */
  padBefore: number;
  /** Zero channels added after the input channels. */
  padAfter: number;
  /** Spatial subsampling step (1 keeps the resolution). */
  stride: number;
  name?: string;
}

export class OptionAShortcut extends tfl.layers.Layer {
  static readonly className = 'OptionAShortcut';
  readonly padBefore: number;
  readonly padAfter: number;
  readonly stride: number;

  constructor(config: OptionAShortcutConfig) {
    super({ name: config.name });
    for (const key of ['padBefore', 'padAfter', 'stride'] as const) {
      const value = config[key];
      if (!Number.isInteger(value) || value < (key === 'stride' ? 1 : 0)) {
        throw new Error(
          `OptionAShortcut ${config.name ?? ''}: ${key} must be a ${key === 'stride' ? 'positive' : 'non-negative'} integer, got ${value}`,
        );
      }
    }
    this.padBefore = config.padBefore;
    this.padAfter = config.padAfter;
    this.stride = config.stride;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (shape.length !== 4)
      throw new Error(`OptionAShortcut ${this.name}: expected a 4D NHWC input, got shape [${shape.join(', ')}]`);
    const [n, h, w, c] = shape;
    const sub = (d: number | null) => (d == null ? null : Math.ceil(d / this.stride));
    return [n!, sub(h!), sub(w!), c == null ? null : c + this.padBefore + this.padAfter];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [, h, w, c] = x.shape;
      if (h % this.stride !== 0 || w % this.stride !== 0) {
        throw new Error(
          `OptionAShortcut ${this.name}: spatial size ${h}x${w} is not divisible by stride ${this.stride}`,
        );
      }
      // Subsampling and channel padding as one strided 1x1 convolution with a 0/1 selection
      // matrix: exact (each output is one input times 1), and on wasm it runs in XNNPACK,
      // far faster than a strided slice, with a fast gradient.
      return tf.conv2d(x, this.selection(c), this.stride, 'valid');
    });
  }

  private selection(channels: number): tf.Tensor4D {
    const out = channels + this.padBefore + this.padAfter;
    const values = new Float32Array(channels * out);
    for (let i = 0; i < channels; i++) values[i * out + this.padBefore + i] = 1;
    return tf.tensor4d(values, [1, 1, channels, out]);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), padBefore: this.padBefore, padAfter: this.padAfter, stride: this.stride };
  }
}

tf.serialization.registerClass(OptionAShortcut);
