// Multi-head self-attention over a [batch, tokens, features] input, with Keras's
// MultiHeadAttention weight shapes (query/key/value kernels [features, heads, dim] and biases
// [heads, dim]; output kernel [heads, value dim, features]) so a Keras model's weights map 1:1;
// getWeights() lists the four kernels, then the four biases.
// Why not tfjs-layers' own MultiHeadAttention: it is built on EinsumDense, and TF.js registers no
// gradient for Einsum, so it cannot be fine-tuned; it also takes query and value as separate call
// arguments, which a functional graph of single-input layers cannot follow. This one is plain
// matMul/softmax (gradients everywhere, native kernels) and takes one input: self-attention.
//
// Heads are its width structure: `callWithHeadMask` zeroes heads' contributions (what the KL
// criterion scores), and removing head h (its rule's units.slice) gives exactly the same output.
import { tf, tfl } from '@prune/compute';

export interface MultiHeadSelfAttentionConfig {
  numHeads: number;
  /** Size of each head's query and key. */
  keyDim: number;
  /** Size of each head's value (defaults to keyDim). */
  valueDim?: number;
  useBias?: boolean;
  /** Seed of the kernels' Glorot-uniform initializers (biases start at zero). */
  seed?: number;
  name?: string;
}

const WEIGHTS = ['query', 'key', 'value', 'attention_output'] as const;

export class MultiHeadSelfAttention extends tfl.layers.Layer {
  static readonly className = 'MultiHeadSelfAttention';
  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly useBias: boolean;
  readonly seed: number | undefined;
  private kernels: tfl.LayerVariable[] = [];
  private biases: tfl.LayerVariable[] = [];

  constructor(config: MultiHeadSelfAttentionConfig) {
    super({ name: config.name });
    for (const key of ['numHeads', 'keyDim', 'valueDim'] as const) {
      const value = config[key];
      if ((value !== undefined || key !== 'valueDim') && (!Number.isInteger(value) || value! < 1))
        throw new Error(
          `MultiHeadSelfAttention${config.name ? ` "${config.name}"` : ''}: ${key} must be a positive integer, got ${value}`,
        );
    }
    this.numHeads = config.numHeads;
    this.keyDim = config.keyDim;
    this.valueDim = config.valueDim ?? config.keyDim;
    this.useBias = config.useBias ?? true;
    this.seed = config.seed;
  }

  private static features(inputShape: tfl.Shape | tfl.Shape[], name: string): number {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (shape.length !== 3 || shape[2] == null)
      throw new Error(
        `MultiHeadSelfAttention ${name}: expected a [batch, tokens, features] input, got [${shape.join(', ')}]`,
      );
    return shape[2];
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const d = MultiHeadSelfAttention.features(inputShape, this.name);
    const h = this.numHeads;
    let seed = this.seed;
    const glorot = () => tfl.initializers.glorotUniform(seed === undefined ? {} : { seed: seed++ });
    const shapes: [number[], number[]][] = [
      [
        [d, h, this.keyDim],
        [h, this.keyDim],
      ],
      [
        [d, h, this.keyDim],
        [h, this.keyDim],
      ],
      [
        [d, h, this.valueDim],
        [h, this.valueDim],
      ],
      [[h, this.valueDim, d], [d]],
    ];
    // Kernels first, then biases: getWeights() order is the same with or without biases.
    WEIGHTS.forEach((name, i) =>
      this.kernels.push(this.addWeight(`${name}/kernel`, shapes[i]![0], 'float32', glorot())),
    );
    if (this.useBias)
      WEIGHTS.forEach((name, i) =>
        this.biases.push(this.addWeight(`${name}/bias`, shapes[i]![1], 'float32', tfl.initializers.zeros())),
      );
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    MultiHeadSelfAttention.features(inputShape, this.name);
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return this.callWithHeadMask(Array.isArray(inputs) ? inputs[0]! : inputs);
  }

  /**
   * The layer's output with each example's heads weighted by `headMask` [batch, heads] (0 removes
   * a head's contribution exactly as removing the head does); no mask = every head.
   */
  callWithHeadMask(input: tf.Tensor, headMask?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [batch, tokens, d] = input.shape as [number, number, number];
      const h = this.numHeads;
      const rows = tf.reshape(input, [batch * tokens, d]);
      const project = (i: number, dim: number) => {
        let y = tf.matMul(rows, tf.reshape(this.kernels[i]!.read(), [d, h * dim]));
        if (this.useBias) y = tf.add(y, tf.reshape(this.biases[i]!.read(), [h * dim]));
        return tf.transpose(tf.reshape(y, [batch, tokens, h, dim]), [0, 2, 1, 3]); // [batch, heads, tokens, dim]
      };
      const query = tf.mul(project(0, this.keyDim), 1 / Math.sqrt(this.keyDim));
      const weights = tf.softmax(tf.matMul(query, project(1, this.keyDim), false, true));
      let context = tf.matMul(weights, project(2, this.valueDim)); // [batch, heads, tokens, value dim]
      if (headMask) context = tf.mul(context, tf.reshape(headMask, [batch, h, 1, 1]));
      const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch * tokens, h * this.valueDim]);
      let out = tf.matMul(merged, tf.reshape(this.kernels[3]!.read(), [h * this.valueDim, d]));
      if (this.useBias) out = tf.add(out, this.biases[3]!.read());
      return tf.reshape(out, [batch, tokens, d]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      useBias: this.useBias,
      ...(this.seed === undefined ? {} : { seed: this.seed }),
    };
  }
}

tf.serialization.registerClass(MultiHeadSelfAttention);
