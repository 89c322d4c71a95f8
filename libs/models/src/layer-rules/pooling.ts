import type { LayerRule, RuleNode } from './layer-rule.js';
import { pair, sizeOf } from './weights.js';

const windowCost = (node: RuleNode) => {
  const [ph, pw] = pair(node.config['pool_size']);
  return { macs: 0, flops: sizeOf(node.outputShape) * ph * pw };
};

export const averagePooling2dRule: LayerRule = {
  className: 'AveragePooling2D',
  role: () => 'passthrough',
  cost: windowCost,
};

export const maxPooling2dRule: LayerRule = { className: 'MaxPooling2D', role: () => 'passthrough', cost: windowCost };

export const globalAveragePooling2dRule: LayerRule = {
  className: 'GlobalAveragePooling2D',
  role: () => 'passthrough',
  cost: (_node, inputShape) => ({ macs: 0, flops: sizeOf(inputShape) }),
};

/** Mean over the tokens of a [tokens, features] sequence. */
export const globalAveragePooling1dRule: LayerRule = {
  className: 'GlobalAveragePooling1D',
  role: () => 'passthrough',
  cost: (_node, inputShape) => ({ macs: 0, flops: sizeOf(inputShape) }),
};
