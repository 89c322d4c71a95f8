// Uniform random scores (the random-walk baseline), reproducible from the seed.
import { seededRandom } from '@prune/data';
import { findFilterGroups, findResidualBlocks, LayerGraph } from '@prune/models';
import type { Criterion, StructureScore } from './criterion.js';

export const randomCriterion: Criterion = {
  name: 'random',
  description: 'Uniform random scores from the seed (baseline)',
  needsData: false,
  scoreFilters(model, { seed = 0 }) {
    const random = seededRandom(seed);
    return findFilterGroups(LayerGraph.of(model)).flatMap((group) =>
      Array.from({ length: group.channels }, (_, channel): StructureScore => ({
        kind: 'filter',
        id: group.id,
        channel,
        score: random(),
      })),
    );
  },
  scoreBlocks(model, { seed = 0 }) {
    const random = seededRandom(seed ^ 0x5bd1e995);
    return findResidualBlocks(LayerGraph.of(model)).map((block): StructureScore => ({
      kind: 'block',
      id: block.id,
      score: random(),
    }));
  },
};
