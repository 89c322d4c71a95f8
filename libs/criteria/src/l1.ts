// L1 norm of filter weights (or of each attention head's kernels), as each layer's rule computes
// it; a block scores the sum over the filter-making (head-having) layers of its residual branch.
import type { tfl } from '@prune/compute';
import { findFilterGroups, findResidualBlocks, LayerGraph, layerRule } from '@prune/models';
import type { Criterion, StructureScore } from './criterion.js';

/** Sum of |w| per output channel (or unit), or undefined for a layer whose rule has no such norm. */
function l1PerWidthUnit(layer: tfl.layers.Layer): Float32Array | undefined {
  const rule = layerRule(layer.getClassName(), layer.name);
  const weights = layer.getWeights();
  return rule.units ? rule.units.l1(weights) : rule.outputChannelL1?.(weights);
}

export const l1Criterion: Criterion = {
  name: 'l1',
  description: "L1 norm of each filter's (head's) weights; blocks: sum over the kernels of the residual branch",
  needsData: false,
  scoreFilters(model) {
    return findFilterGroups(LayerGraph.of(model)).flatMap((group) => {
      const norms = l1PerWidthUnit(model.getLayer(group.producer));
      if (!norms) throw new Error(`layer "${group.producer}" makes filters but its rule has no outputChannelL1`);
      return Array.from(norms, (score, channel): StructureScore => ({ kind: 'filter', id: group.id, channel, score }));
    });
  },
  scoreBlocks(model) {
    return findResidualBlocks(LayerGraph.of(model)).map((block): StructureScore => {
      let score = 0;
      for (const name of block.branch)
        score += (l1PerWidthUnit(model.getLayer(name)) ?? new Float32Array()).reduce((a, b) => a + b, 0);
      return { kind: 'block', id: block.id, score };
    });
  },
};
