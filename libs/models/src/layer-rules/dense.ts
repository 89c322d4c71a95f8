import type { LayerRule } from './layer-rule.js';
import { kernelL1PerOutputChannel, sizeOf, sliceKernelAndBias } from './weights.js';

/** Fully connected layer, kernel [in, out] and bias [out]. */
export const denseRule: LayerRule = {
  className: 'Dense',
  role: () => 'producer',
  cost(node, inputShape) {
    const out = sizeOf(node.outputShape);
    const macs = inputShape.at(-1)! * out;
    return { macs, flops: 2 * macs + (node.config['use_bias'] ? out : 0) };
  },
  widthField: 'units',
  slice: sliceKernelAndBias(0, 1),
  decayedWeights: [0],
  outputChannelL1: kernelL1PerOutputChannel,
  classifier: true,
  isSoftmax: (node) => node.config['activation'] === 'softmax',
  torchWeights: [{ suffix: 'weight', permutation: [1, 0] }, { suffix: 'bias' }],
};
