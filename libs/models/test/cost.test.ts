import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@prune/compute';
import {
  buildCifarResNet,
  findResidualBlocks,
  LayerGraph,
  loadModel,
  modelCost,
  removeResidualBlocks,
} from '@prune/models';
import { PONS } from './helpers.js';

describe('cost model', () => {
  beforeAll(async () => {
    await initBackend(undefined, () => {});
  });

  it('matches the Conv2D+Dense multiply-accumulates of the paper code exactly', async () => {
    const expected: Record<string, number> = { iter0: 121_029_248, iter9: 78_561_920, 'iter19-filters4': 19_210_880 };
    for (const [name, macs] of Object.entries(expected)) {
      const { model } = await loadModel(PONS(name));
      expect(modelCost(model).macs, name).toBe(macs);
    }
  });

  it('one basic block of any stage costs 4,718,592 MACs, so the unpruned ResNet-56 costs 125,747,840', async () => {
    const { model } = await loadModel(PONS('iter9'));
    const before = modelCost(model).macs;
    const blocks = findResidualBlocks(LayerGraph.of(model));
    const stages = new Set(blocks.map((b) => model.getLayer(b.add).outputShape.at(-1)));
    expect(stages).toEqual(new Set([16, 32, 64]));
    for (const block of blocks) {
      const child = await removeResidualBlocks(model, [block.id]);
      expect(before - modelCost(child).macs, block.id).toBe(4_718_592);
    }
    const { model: iter0 } = await loadModel(PONS('iter0'));
    expect(modelCost(iter0).macs + 4_718_592).toBe(125_747_840);
  });

  it('labels FLOPs separately, with a per-layer breakdown and parameter counts', () => {
    const model = buildCifarResNet({ depth: 20 });
    const cost = modelCost(model);
    expect(cost.macs).toBe(40_551_040);
    expect(cost.flops).toBeGreaterThan(2 * cost.macs); // + batch norm, relu, add, pooling
    expect(cost.params).toBe(model.countParams());
    expect(cost.trainableParams).toBe(269_722); // 0.27M, as published
    const conv1 = cost.layers.find((l) => l.name === 'conv1')!;
    expect(conv1).toMatchObject({
      className: 'Conv2D',
      macs: 32 * 32 * 16 * 27,
      params: 432,
      outputShape: [32, 32, 16],
    });
    expect(cost.layers.reduce((a, l) => a + l.macs, 0)).toBe(cost.macs);
  });
});
