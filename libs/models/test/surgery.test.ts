// Surgery must not change anything it did not mean to change: removing structures that were
// first silenced gives exactly the parent's outputs on real images.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, tf, tfl } from '@prune/compute';
import {
  findFilterGroups,
  findResidualBlocks,
  LayerGraph,
  loadModel,
  modelCost,
  removeFilters,
  removeResidualBlocks,
  saveLayersModel,
  type LoadedModel,
} from '@prune/models';
import { maxAbsDiff, PONS, predict, realImages, RESNET20, zeroBatchNormChannels } from './helpers.js';

/** The batch norm right after a group's producer (where zeroed gamma/beta silence a channel). */
function batchNormOf(model: tfl.LayersModel, producer: string): string {
  const graph = LayerGraph.of(model);
  const next = graph
    .get(producer)
    .consumers.map((c) => graph.get(c))
    .find((n) => n.className === 'BatchNormalization');
  if (!next) throw new Error(`no batch norm after ${producer}`);
  return next.name;
}

function cloneModel(loaded: LoadedModel): Promise<LoadedModel> {
  // A fresh copy so in-place zeroing never leaks between tests.
  return removeFilters(loaded.model, {}).then((model) => ({ model, metadata: loaded.metadata }));
}

describe.each([
  ['pretrained ResNet-20 (option-A shortcuts)', RESNET20],
  ['Keras ResNet-56 of Pons et al. (projection shortcuts, conv biases, softmax head)', PONS('iter9')],
])('%s', (_title, file) => {
  let loaded: LoadedModel;
  let x: tf.Tensor4D;

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    loaded = await loadModel(file);
    x = realImages(200, loaded.metadata.preprocessing).x;
  });

  it('finds removable blocks (never downsampling ones) and prunable filter groups', () => {
    const graph = LayerGraph.of(loaded.model);
    const blocks = findResidualBlocks(graph);
    const groups = findFilterGroups(graph);
    const adds = loaded.model.layers.filter((l) => l.getClassName() === 'Add').length;
    expect(blocks.length).toBe(adds - 2); // every identity block; the two stage transitions are not removable
    for (const block of blocks) {
      const add = loaded.model.getLayer(block.add);
      expect(add.outputShape).toEqual(loaded.model.getLayer(block.input).outputShape);
    }
    // Each removable block's first conv is prunable; residual-stream convs are excluded.
    expect(groups.length).toBeGreaterThanOrEqual(blocks.length);
    for (const group of groups) {
      expect(group.consumers.length).toBeGreaterThan(0);
      for (const name of [group.producer, ...group.passthrough, ...group.consumers.map((c) => c.name)]) {
        expect(graph.get(name).className).not.toBe('Add');
      }
    }
  });

  it('removing filters whose batch-norm gamma and beta are zero keeps the outputs (max abs diff < 1e-5)', async () => {
    const parent = await cloneModel(loaded);
    const groups = findFilterGroups(LayerGraph.of(parent.model));
    const removal: Record<string, number[]> = {};
    for (const [i, group] of groups.entries()) {
      const channels = [0, 3, group.channels - 1].map((c) => (c + i) % group.channels);
      removal[group.id] = [...new Set(channels)];
      zeroBatchNormChannels(parent.model, batchNormOf(parent.model, group.producer), removal[group.id]);
    }
    const before = predict(parent.model, x);
    const weightsBefore = parent.model.getWeights().map((w) => w.dataSync().slice());
    const child = await removeFilters(parent.model, removal);
    expect(maxAbsDiff(predict(child, x), before)).toBeLessThan(1e-5);
    expect(modelCost(child).macs).toBeLessThan(modelCost(parent.model).macs);
    // the parent is untouched
    parent.model
      .getWeights()
      .forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(weightsBefore[i]!)));
    for (const group of groups) {
      const shape = child.getLayer(group.producer).outputShape as number[];
      expect(shape.at(-1)).toBe(group.channels - removal[group.id]!.length);
    }
  });

  it('removing blocks whose residual branch is zeroed keeps the outputs (max abs diff < 1e-5)', async () => {
    const parent = await cloneModel(loaded);
    const blocks = findResidualBlocks(LayerGraph.of(parent.model));
    // two consecutive blocks and one elsewhere: chains of removed blocks must rewire correctly
    const chosen = [blocks[0]!, blocks[1]!, blocks.at(-1)!];
    for (const block of chosen) {
      const lastBn = [...block.branch]
        .reverse()
        .find((n) => parent.model.getLayer(n).getClassName() === 'BatchNormalization')!;
      zeroBatchNormChannels(parent.model, lastBn);
    }
    const before = predict(parent.model, x);
    const child = await removeResidualBlocks(
      parent.model,
      chosen.map((b) => b.id),
    );
    expect(maxAbsDiff(predict(child, x), before)).toBeLessThan(1e-5);
    const removedLayers = chosen.reduce((n, b) => n + b.branch.length + 1 + (b.trailingActivation ? 1 : 0), 0);
    expect(child.layers.length).toBe(parent.model.layers.length - removedLayers);
    expect(findResidualBlocks(LayerGraph.of(child)).map((b) => b.id)).toEqual(
      blocks.filter((b) => !chosen.includes(b)).map((b) => b.id),
    );
  });

  it('a pruned model saves and reloads to the same outputs', async () => {
    const groups = findFilterGroups(LayerGraph.of(loaded.model));
    const blocks = findResidualBlocks(LayerGraph.of(loaded.model));
    const child = await removeFilters(await removeResidualBlocks(loaded.model, [blocks[2]!.id]), {
      [groups.at(-1)!.id]: [1, 2],
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-surgery-'));
    await saveLayersModel(dir, child, loaded.metadata);
    const reloaded = await loadModel(path.join(dir, 'model.json'));
    expect(maxAbsDiff(predict(reloaded.model, x), predict(child, x))).toBe(0);
    expect(modelCost(reloaded.model)).toEqual(modelCost(child));
  });

  it('rejects unknown structures and impossible removals, naming them', async () => {
    const group = findFilterGroups(LayerGraph.of(loaded.model))[0]!;
    await expect(removeResidualBlocks(loaded.model, ['nope'])).rejects.toThrow(
      /block "nope" is not a removable residual block/,
    );
    await expect(removeFilters(loaded.model, { nope: [0] })).rejects.toThrow(/filter group "nope" is not prunable/);
    await expect(removeFilters(loaded.model, { [group.id]: [group.channels] })).rejects.toThrow(
      `channel ${group.channels} is out of range`,
    );
    const all = [...Array(group.channels).keys()];
    await expect(removeFilters(loaded.model, { [group.id]: all })).rejects.toThrow(/cannot remove all/);
  });
});

describe('any CNN of the supported layers, not only ResNets', () => {
  it('prunes a plain conv net whose last conv feeds a Dense through Flatten', async () => {
    await initBackend(undefined, () => {});
    const input = tfl.input({ shape: [8, 8, 3] });
    let y = tfl.layers
      .conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'c1' })
      .apply(input) as tfl.SymbolicTensor;
    y = tfl.layers.batchNormalization({ name: 'bn1' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.activation({ activation: 'relu', name: 'r1' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.maxPooling2d({ poolSize: 2, name: 'p1' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'c2' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.batchNormalization({ name: 'bn2' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.activation({ activation: 'relu', name: 'r2' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.flatten({ name: 'flat' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.dense({ units: 7, activation: 'relu', name: 'd1' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.dense({ units: 3, name: 'out' }).apply(y) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: y });
    // non-trivial batch-norm statistics
    for (const bn of ['bn1', 'bn2']) {
      const c = bn === 'bn1' ? 6 : 5;
      model
        .getLayer(bn)
        .setWeights([
          tf.linspace(0.5, 1.5, c),
          tf.linspace(-0.3, 0.3, c),
          tf.linspace(-0.1, 0.1, c),
          tf.linspace(0.8, 1.2, c),
        ]);
    }
    const groups = findFilterGroups(LayerGraph.of(model));
    expect(groups.map((g) => [g.id, g.consumers])).toEqual([
      ['c1', [{ name: 'c2', spread: 1 }]],
      ['c2', [{ name: 'd1', spread: 16 }]],
      ['d1', [{ name: 'out', spread: 1 }]],
    ]);
    zeroBatchNormChannels(model, 'bn1', [1, 4]);
    zeroBatchNormChannels(model, 'bn2', [0, 2]);
    const x = tf.randomNormal([16, 8, 8, 3], 0, 1, 'float32', 7);
    const before = model.predict(x) as tf.Tensor;
    const child = await removeFilters(model, { c1: [1, 4], c2: [0, 2] });
    expect(maxAbsDiff(child.predict(x) as tf.Tensor, before)).toBeLessThan(1e-5);
    expect(child.getLayer('d1').getWeights()[0]!.shape).toEqual([16 * 3, 7]);
  });
});
