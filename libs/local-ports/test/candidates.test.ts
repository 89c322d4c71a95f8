import { beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { initBackend, type tfl } from '@prune/compute';
import { sharedDir } from '@prune/data';
import { findFilterGroups, LayerGraph, loadModel, modelCost } from '@prune/models';
import { makeFilterCandidate, makeLayerCandidate } from '@prune/local-ports';
import type { ScoredFilter } from '@prune/pruning';

describe('candidates of the pretrained ResNet-20', () => {
  let parent: tfl.LayersModel;
  let filterScores: ScoredFilter[];

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    parent = (await loadModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'))).model;
    filterScores = findFilterGroups(LayerGraph.of(parent)).flatMap((g) =>
      Array.from({ length: g.channels }, (_, c) => ({ id: g.id, channel: c, score: (c * 7919) % 13 })),
    );
  });

  it('the layer candidate removes the lowest-scored blocks', async () => {
    const scores = [
      'layer1.1.add',
      'layer1.2.add',
      'layer2.1.add',
      'layer2.2.add',
      'layer3.1.add',
      'layer3.2.add',
      'layer1.0.add',
    ].map((id, i) => ({ id, score: [5, 1, 7, 0.5, 9, 3, 8][i]! }));
    const candidate = await makeLayerCandidate(parent, scores, 2);
    expect(candidate.removed).toEqual(['layer2.2.add', 'layer1.2.add']);
    expect(modelCost(parent).macs - candidate.macs).toBe(2 * 4_718_592); // every basic block costs 4,718,592 MACs
    expect(candidate.model.layers.some((l) => l.name.startsWith('layer2.2.'))).toBe(false);
    await expect(makeLayerCandidate(parent, scores, 99)).rejects.toThrow(
      'budget.blocks: 99 blocks asked, the parent has 7 removable',
    );
    await expect(makeLayerCandidate(parent, [{ id: 'nope', score: 0 }], 1)).rejects.toThrow(
      'scores: "nope" is not a removable block',
    );
  });

  it('the filter candidate matches a count of filters, or a number of MACs', async () => {
    const byCount = await makeFilterCandidate(parent, filterScores, { filters: 24 });
    expect(byCount.removedFilters).toBe(24);
    expect(byCount.removed).toHaveLength(24);
    const target = 2_359_296; // half a basic block
    const byMacs = await makeFilterCandidate(parent, filterScores, { macs: target });
    const saved = modelCost(parent).macs - byMacs.macs;
    expect(saved).toBeGreaterThanOrEqual(target);
    const oneLess = await makeFilterCandidate(parent, filterScores, { filters: byMacs.removedFilters - 1 });
    expect(modelCost(parent).macs - oneLess.macs).toBeLessThan(target);
    await expect(makeFilterCandidate(parent, filterScores, { macs: 1e12 })).rejects.toThrow(
      /budget.filters: .* at most|budget.macs/,
    );
  });
});
