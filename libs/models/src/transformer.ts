// A Transformer encoder classifier (pre-norm, Xiong et al. 2020): tokens projected to the model
// width, a learned position embedding, encoder blocks of multi-head self-attention and a ReLU
// feed-forward network, each sub-block x + f(LayerNorm(x)); then a final LayerNorm, the mean over
// tokens and a linear classifier. The paper's appendix C uses 10 blocks of 128 heads of size 64;
// every size here is a parameter. An image input [rows, columns, 1] is read as a sequence of rows
// (Fashion-MNIST as 28 steps of 28 features, the shape of a windowed sensor recording).
import { layerNormalization, tfl } from '@prune/compute';
import { MultiHeadSelfAttention } from './multi-head-self-attention.js';
import { PositionEmbedding } from './position-embedding.js';

export interface TransformerOptions {
  /** One example: [tokens, features], or an image [rows, columns, 1] read row by row. */
  inputShape: number[];
  numClasses: number;
  /** Encoder blocks. */
  blocks: number;
  heads: number;
  /** Size of each head's query, key and value. */
  headDim: number;
  /** Width of the tokens between blocks. */
  modelDim: number;
  /** Hidden units of each feed-forward network. */
  feedForwardDim: number;
  /** Initializer seed; the same seed gives the same weights. */
  seed?: number;
  name?: string;
  /** Makes the layer normalizations (default: @prune/compute's, with its fast gradient; benchmarks pass the stock one). */
  layerNormalization?: (args: { epsilon: number; name: string }) => tfl.layers.Layer;
}

export function buildTransformer(options: TransformerOptions): tfl.LayersModel {
  const { inputShape, blocks, heads, headDim, modelDim, feedForwardDim, numClasses } = options;
  for (const [key, value] of Object.entries({ numClasses, blocks, heads, headDim, modelDim, feedForwardDim })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${key} must be a positive integer, got ${value}`);
  }
  const image = inputShape.length === 3 && inputShape[2] === 1;
  if (inputShape.length !== 2 && !image)
    throw new Error(`inputShape must be [tokens, features] or [rows, columns, 1], got [${inputShape.join(', ')}]`);
  let seed = options.seed ?? 0;
  const glorot = () => tfl.initializers.glorotUniform({ seed: seed++ });
  const dense = (units: number, name: string, activation?: 'relu') =>
    tfl.layers.dense({ units, activation, kernelInitializer: glorot(), name });
  const norm = (name: string) => (options.layerNormalization ?? layerNormalization)({ epsilon: 1e-6, name });
  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) =>
    layer.apply(x) as tfl.SymbolicTensor;

  const input = tfl.input({ shape: inputShape, name: 'input' });
  let x = image ? apply(tfl.layers.reshape({ targetShape: inputShape.slice(0, 2), name: 'rows' }), input) : input;
  x = apply(dense(modelDim, 'embedding'), x);
  x = apply(new PositionEmbedding({ seed: seed++, name: 'position' }), x);
  for (let b = 0; b < blocks; b++) {
    const p = `block${b + 1}`;
    const attention = new MultiHeadSelfAttention({ numHeads: heads, keyDim: headDim, seed, name: `${p}.attention` });
    seed += 4;
    x = apply(tfl.layers.add({ name: `${p}.attention_add` }), [
      x,
      apply(attention, apply(norm(`${p}.attention_norm`), x)),
    ]);
    let y = apply(norm(`${p}.ffn_norm`), x);
    y = apply(dense(modelDim, `${p}.ffn2`), apply(dense(feedForwardDim, `${p}.ffn1`, 'relu'), y));
    x = apply(tfl.layers.add({ name: `${p}.ffn_add` }), [x, y]);
  }
  x = apply(tfl.layers.globalAveragePooling1d({ name: 'pool' }), apply(norm('final_norm'), x));
  const logits = apply(dense(numClasses, 'classifier'), x);
  return tfl.model({ inputs: input, outputs: logits, name: options.name ?? `transformer${blocks}x${heads}` });
}
