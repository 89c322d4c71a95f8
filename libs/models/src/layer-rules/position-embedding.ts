import { PositionEmbedding } from '../position-embedding.js';
import type { LayerRule } from './layer-rule.js';
import { sizeOf } from './weights.js';

/** Adds a learned table to the tokens; its features are the model's width, not pruned here. */
export const positionEmbeddingRule: LayerRule = {
  className: PositionEmbedding.className,
  role: () => 'blocker',
  cost: (node) => ({ macs: 0, flops: sizeOf(node.outputShape) }),
};
