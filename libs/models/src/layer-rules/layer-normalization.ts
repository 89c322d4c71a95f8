import type { LayerRule } from './layer-rule.js';
import { sizeOf } from './weights.js';

/** Normalizes each token over its features: every output channel depends on every input channel. */
export const layerNormalizationRule: LayerRule = {
  className: 'LayerNormalization',
  role: () => 'blocker',
  // Mean, variance (square, sum), normalize (subtract, divide), scale and shift.
  cost: (node) => ({ macs: 0, flops: 7 * sizeOf(node.outputShape) }),
};
