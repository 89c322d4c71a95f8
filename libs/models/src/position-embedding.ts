// A learned position embedding: adds a trainable [tokens, features] table to a
// [batch, tokens, features] input (attention alone cannot tell the tokens' order apart).
import { tf, tfl } from '@prune/compute';

export interface PositionEmbeddingConfig {
  /** Seed of the table's initializer (uniform in [-0.05, 0.05], as Keras's Embedding). */
  seed?: number;
  name?: string;
}

export class PositionEmbedding extends tfl.layers.Layer {
  static readonly className = 'PositionEmbedding';
  readonly seed: number | undefined;
  private table: tfl.LayerVariable | undefined;

  constructor(config: PositionEmbeddingConfig = {}) {
    super({ name: config.name });
    this.seed = config.seed;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    if (shape.length !== 3 || shape[1] == null || shape[2] == null)
      throw new Error(
        `PositionEmbedding ${this.name}: expected a [batch, tokens, features] input, got [${shape.join(', ')}]`,
      );
    const initializer = tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: this.seed });
    this.table = this.addWeight('embeddings', [shape[1], shape[2]], 'float32', initializer);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(Array.isArray(inputs) ? inputs[0]! : inputs, this.table!.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), ...(this.seed === undefined ? {} : { seed: this.seed }) };
  }
}

tf.serialization.registerClass(PositionEmbedding);
