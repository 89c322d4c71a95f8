// L1 norm of filter weights, as each layer's rule computes it; a block scores the sum over the
// filter-making layers of its residual branch.
import type { tfl } from '@prune/compute';
import { findFilterGroups, findResidualBlocks, LayerGraph, layerRule } from '@prune/models';
import type { Criterion, StructureScore } from './criterion.js';

/** Sum of |w| per output channel, or undefined for a layer whose rule has no such norm. */
function l1PerOutputChannel(layer: tfl.layers.Layer): Float32Array | undefined {
  return layerRule(layer.getClassName(), layer.name).outputChannelL1?.(layer.getWeights());
}

export const l1Criterion: Criterion = {
  name: 'l1',
  description: "L1 norm of each filter's weights; blocks: sum over the kernels of the residual branch",
  needsData: false,
  scoreFilters(model) {
    return findFilterGroups(LayerGraph.of(model)).flatMap((group) => {
      const norms = l1PerOutputChannel(model.getLayer(group.producer));
      if (!norms) throw new Error(`layer "${group.producer}" makes filters but its rule has no outputChannelL1`);
      return Array.from(norms, (score, channel): StructureScore => ({ kind: 'filter', id: group.id, channel, score }));
    });
  },
  scoreBlocks(model) {
    return findResidualBlocks(LayerGraph.of(model)).map((block): StructureScore => {
      let score = 0;
      for (const name of block.branch)
        score += (l1PerOutputChannel(model.getLayer(name)) ?? new Float32Array()).reduce((a, b) => a + b, 0);
      return { kind: 'block', id: block.id, score };
    });
  },
};
