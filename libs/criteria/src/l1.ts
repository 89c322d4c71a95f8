// L1 norm of filter weights; a block scores the sum over the kernels of its residual branch.
import { tf, type tfl } from '@prune/compute';
import { findFilterGroups, findResidualBlocks, LayerGraph } from '@prune/models';
import type { Criterion, StructureScore } from './criterion.js';

/** Sum of |w| per output channel of a Conv2D ([kh, kw, in, out]) or Dense ([in, out]) kernel. */
function l1PerOutputChannel(layer: tfl.layers.Layer): Float32Array {
  return tf.tidy(() => {
    const kernel = layer.getWeights()[0]!;
    const out = kernel.shape.at(-1)!;
    return tf.sum(tf.abs(tf.reshape(kernel, [-1, out])), 0).dataSync() as Float32Array;
  });
}

export const l1Criterion: Criterion = {
  name: 'l1',
  description: 'L1 norm of each filter\'s weights; blocks: sum over the kernels of the residual branch',
  needsData: false,
  scoreFilters(model) {
    return findFilterGroups(LayerGraph.of(model)).flatMap((group) =>
      Array.from(l1PerOutputChannel(model.getLayer(group.producer)), (score, channel): StructureScore => ({ kind: 'filter', id: group.id, channel, score })),
    );
  },
  scoreBlocks(model) {
    return findResidualBlocks(LayerGraph.of(model)).map((block): StructureScore => {
      let score = 0;
      for (const name of block.branch) {
        const cls = model.getLayer(name).getClassName();
        if (cls === 'Conv2D' || cls === 'Dense') score += l1PerOutputChannel(model.getLayer(name)).reduce((a, b) => a + b, 0);
      }
      return { kind: 'block', id: block.id, score };
    });
  },
};
