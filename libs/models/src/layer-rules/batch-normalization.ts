import { tf } from '@prune/compute';
import type { LayerRule } from './layer-rule.js';
import { gather, sizeOf } from './weights.js';

/** Per-channel normalization; gamma, beta, moving mean and variance are all [C]. */
export const batchNormalizationRule: LayerRule = {
  className: 'BatchNormalization',
  role: () => 'passthrough',
  cost: (node) => ({ macs: 0, flops: 2 * sizeOf(node.outputShape) }), // folded: one multiply, one add
  slice: (weights, _keepIn, keepOut) => weights.map((w) => gather(w, keepOut, 0)),
  torchWeights: [{ suffix: 'weight' }, { suffix: 'bias' }, { suffix: 'running_mean' }, { suffix: 'running_var' }],
};

/**
 * A BatchNormalization layer's weights by role (`config` says whether it has `scale` and `center`;
 * without them gamma is ones, beta zeros).
 */
export function batchNormParameters(
  layer: { getWeights(): tf.Tensor[] },
  config: Record<string, unknown>,
): { gamma: tf.Tensor; beta: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  const weights = layer.getWeights();
  const channels = weights.at(-1)!.shape[0]!;
  let i = 0;
  const gamma = config['scale'] === false ? tf.ones([channels]) : weights[i++]!;
  const beta = config['center'] === false ? tf.zeros([channels]) : weights[i++]!;
  return { gamma, beta, mean: weights[i]!, variance: weights[i + 1]! };
}
