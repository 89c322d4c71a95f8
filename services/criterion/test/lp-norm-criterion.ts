// A new criterion with a parameter, from one file: the Lp norm of each filter's kernel
// (p = 1 is the L1 criterion). Served after one line: registerCriterion(lpNormCriterion).
import { tf } from '@prune/compute';
import type { Criterion, StructureScore } from '@prune/criteria';
import { findFilterGroups, findResidualBlocks, LayerGraph } from '@prune/models';

function lpPerOutputChannel(kernel: tf.Tensor, p: number): Float32Array {
  return tf.tidy(() => {
    const rows = tf.reshape(tf.abs(kernel), [-1, kernel.shape.at(-1)!]);
    return tf.pow(tf.sum(tf.pow(rows, p), 0), 1 / p).dataSync() as Float32Array;
  });
}

export const lpNormCriterion: Criterion = {
  name: 'lp-norm',
  description: "Lp norm of each filter (parameter p); blocks: their first convolution's norms summed",
  needsData: false,
  parameters: { p: 2 },
  scoreFilters(model, { parameters }) {
    return findFilterGroups(LayerGraph.of(model)).flatMap((group) =>
      Array.from(
        lpPerOutputChannel(model.getLayer(group.producer).getWeights()[0]!, parameters!['p']!),
        (score, channel): StructureScore => ({ kind: 'filter', id: group.id, channel, score }),
      ),
    );
  },
  scoreBlocks(model, { parameters }) {
    return findResidualBlocks(LayerGraph.of(model)).map((block): StructureScore => ({
      kind: 'block',
      id: block.id,
      score: lpPerOutputChannel(model.getLayer(block.branch[0]!).getWeights()[0]!, parameters!['p']!).reduce(
        (a, b) => a + b,
        0,
      ),
    }));
  },
};
