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
