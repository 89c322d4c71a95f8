import { tf } from '@prune/compute';
import { MultiHeadSelfAttention } from '../multi-head-self-attention.js';
import type { LayerRule, RuleNode } from './layer-rule.js';
import { gather } from './weights.js';

// A serialized config's keys are snake_case (TF.js converts the layer's getConfig on toJSON).
const dims = (node: RuleNode) => ({
  heads: Number(node.config['num_heads']),
  keyDim: Number(node.config['key_dim']),
  valueDim: Number(node.config['value_dim'] ?? node.config['key_dim']),
});

/** The heads axis of each weight, in getWeights() order (kernels, then biases); -1: none. */
const HEAD_AXES = [1, 1, 1, 0, 0, 0, 0, -1];

/**
 * Multi-head self-attention: its heads are units (a width structure); it mixes its input's
 * features, so channels do not pass through it.
 */
export const multiHeadSelfAttentionRule: LayerRule = {
  className: MultiHeadSelfAttention.className,
  role: () => 'blocker',
  cost(node, inputShape) {
    // Per example over T tokens of d features: the q/k/v projections, the scores QK^T, the
    // softmax-weighted sum of V, the output projection; FLOPs add biases, the query scaling and
    // the softmax (exp, sum, divide).
    const { heads, keyDim, valueDim } = dims(node);
    const [tokens, d] = [inputShape.at(-2)!, inputShape.at(-1)!];
    const projections = tokens * d * heads * (2 * keyDim + valueDim) + tokens * heads * valueDim * d;
    const attention = heads * tokens * tokens * (keyDim + valueDim);
    const macs = projections + attention;
    const biases = node.config['use_bias'] === false ? 0 : tokens * (heads * (2 * keyDim + valueDim) + d);
    return { macs, flops: 2 * macs + biases + tokens * heads * keyDim + 3 * heads * tokens * tokens };
  },
  decayedWeights: [0, 1, 2, 3],
  units: {
    noun: 'heads',
    field: 'num_heads',
    count: (node) => dims(node).heads,
    slice: (weights, keep) =>
      weights.map((w, i) => (HEAD_AXES[i]! < 0 ? gather(w, null, 0) : gather(w, keep, HEAD_AXES[i]!))),
    l1: (weights) =>
      tf.tidy(() => {
        const perHead = weights.slice(0, 4).map((w, i) =>
          tf.sum(
            tf.abs(w),
            [0, 1, 2].filter((axis) => axis !== HEAD_AXES[i]),
          ),
        );
        return tf.addN(perHead).dataSync() as Float32Array;
      }),
    applyMasked: (layer, input, mask) => (layer as MultiHeadSelfAttention).callWithHeadMask(input, mask),
  },
};
