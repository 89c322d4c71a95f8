import type { LayerRule, RuleNode } from './layer-rule.js';
import { sizeOf } from './weights.js';

const elementwiseCost = (node: RuleNode) => ({ macs: 0, flops: sizeOf(node.outputShape) });

/** `Activation(name)`: elementwise except softmax, which mixes channels. */
export const activationRule: LayerRule = {
  className: 'Activation',
  role: (node) => (node.config['activation'] === 'softmax' ? 'blocker' : 'passthrough'),
  cost: elementwiseCost,
  isRelu: (node) => node.config['activation'] === 'relu',
  isSoftmax: (node) => node.config['activation'] === 'softmax',
};

/** `ReLU(max_value?)`: exactly max(x, 0) only without a cap. */
export const reluRule: LayerRule = {
  className: 'ReLU',
  role: () => 'passthrough',
  cost: elementwiseCost,
  isRelu: (node) => node.config['max_value'] == null,
};
