import type { LayerRule } from './layer-rule.js';
import { kernelL1PerOutputChannel, pair, sizeOf, sliceKernelAndBias } from './weights.js';

/** 2-D convolution, kernel [kh, kw, in, out]; grouped convolutions couple channels: not pruned. */
export const conv2dRule: LayerRule = {
  className: 'Conv2D',
  role: (node) => (Number(node.config['groups'] ?? 1) === 1 ? 'producer' : 'blocker'),
  cost(node, inputShape) {
    const out = sizeOf(node.outputShape);
    const [kh, kw] = pair(node.config['kernel_size']);
    const groups = Number(node.config['groups'] ?? 1);
    const macs = out * kh * kw * (inputShape.at(-1)! / groups);
    return { macs, flops: 2 * macs + (node.config['use_bias'] ? out : 0) };
  },
  widthField: 'filters',
  filters: true,
  slice: sliceKernelAndBias(2, 3),
  decayedWeights: [0],
  outputChannelL1: kernelL1PerOutputChannel,
  torchWeights: [{ suffix: 'weight', permutation: [2, 3, 1, 0] }, { suffix: 'bias' }],
};
