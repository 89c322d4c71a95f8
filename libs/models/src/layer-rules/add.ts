import type { LayerRule } from './layer-rule.js';
import { sizeOf } from './weights.js';

/** Elementwise sum of its inputs: couples their channels (the residual stream), so a blocker. */
export const addRule: LayerRule = {
  className: 'Add',
  role: () => 'blocker',
  sumsInputs: true,
  cost: (node) => ({ macs: 0, flops: sizeOf(node.outputShape) * (node.inputs.length - 1) }),
};
