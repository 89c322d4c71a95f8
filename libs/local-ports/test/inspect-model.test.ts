// The facts Inspect and the local ports report, on the pretrained ResNet-20 and on its layer candidate.
import { beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { initBackend, type tfl } from '@prune/compute';
import { sharedDir } from '@prune/data';
import { loadModel } from '@prune/models';
import { inspectModel, makeLayerCandidate } from '@prune/local-ports';

describe('inspectModel', () => {
  let parent: tfl.LayersModel;

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    parent = (await loadModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'))).model;
  });

  it('reports cost, the removable blocks and every convolution width of ResNet-20', () => {
    const facts = inspectModel(parent);
    expect(facts.cost).toEqual({ macs: 40_551_040, flops: expect.any(Number), params: parent.countParams() });
    expect(facts.cost.flops).toBeGreaterThan(2 * facts.cost.macs);
    // three stages of three blocks; the first block of stages 2 and 3 downsamples and is not removable
    expect(facts.removableBlocks).toEqual([
      'layer1.0.add',
      'layer1.1.add',
      'layer1.2.add',
      'layer2.1.add',
      'layer2.2.add',
      'layer3.1.add',
      'layer3.2.add',
    ]);
    expect(facts.widths).toHaveLength(19);
    expect(facts.widths.map((w) => w.filters)).toEqual([
      16,
      ...Array(6).fill(16),
      ...Array(6).fill(32),
      ...Array(6).fill(64),
    ]);
  });

  it('follows surgery: a removed block takes its two convolutions and its MACs', async () => {
    const child = await makeLayerCandidate(parent, [{ id: 'layer2.2.add', score: 0 }], 1);
    const facts = inspectModel(child.model);
    expect(facts.cost.macs).toBe(child.macs);
    expect(facts.cost.macs).toBe(40_551_040 - 4_718_592);
    expect(facts.removableBlocks).not.toContain('layer2.2.add');
    expect(facts.removableBlocks).toHaveLength(6);
    expect(facts.widths.map((w) => w.layer).filter((name) => name.startsWith('layer2.2.'))).toEqual([]);
    expect(facts.widths).toHaveLength(17);
  });
});
