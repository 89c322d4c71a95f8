// Transformers: heads and encoder blocks are found on the graph, removing them is exact (a head
// silenced by the mask, or a block bypassed, gives the pruned model's outputs), the cost counts
// attention honestly, and the model saves, loads and trains.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, makeTrainStep, tf, type tfl } from '@prune/compute';
import { loadFashionMnist, takeFirst } from '@prune/data';
import {
  buildTransformer,
  decayedWeights,
  findFilterGroups,
  findResidualBlocks,
  LayerGraph,
  loadLayersModel,
  MultiHeadSelfAttention,
  modelCost,
  modelWidths,
  removeFilters,
  removeResidualBlocks,
  saveLayersModel,
} from '@prune/models';
import { maxAbsDiff } from './helpers.js';

const OPTIONS = { inputShape: [28, 28, 1], numClasses: 10, blocks: 3, heads: 4, headDim: 8, modelDim: 32 };

describe('Transformer encoder (sequence Fashion-MNIST shape)', () => {
  let model: tfl.LayersModel;
  let x: tf.Tensor4D;

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    model = buildTransformer({ ...OPTIONS, feedForwardDim: 64, seed: 3 });
    const data = takeFirst(loadFashionMnist('test'), 64);
    x = tf.tidy(() => tf.div(tf.tensor4d(data.pixels, [64, 28, 28, 1], 'float32'), 255)) as tf.Tensor4D;
  });

  it('finds one removable structure per encoder block and the heads of each attention layer', () => {
    const graph = LayerGraph.of(model);
    const blocks = findResidualBlocks(graph);
    expect(blocks.map((b) => b.id)).toEqual(['block1.ffn_add', 'block2.ffn_add', 'block3.ffn_add']);
    expect(blocks[1]).toMatchObject({ input: 'block1.ffn_add', add: 'block2.ffn_add', filters: 4 });
    expect(blocks[1]!.branch).toEqual([
      'block2.attention_norm',
      'block2.attention',
      'block2.attention_add',
      'block2.ffn_norm',
      'block2.ffn1',
      'block2.ffn2',
    ]);
    // Heads are the width structure: the feed-forward units are not offered as filters.
    const groups = findFilterGroups(graph);
    expect(groups.map((g) => [g.id, g.kind, g.channels])).toEqual([
      ['block1.attention', 'units', 4],
      ['block2.attention', 'units', 4],
      ['block3.attention', 'units', 4],
    ]);
    expect(modelWidths(modelCost(model))).toEqual(groups.map((g) => ({ layer: g.id, filters: 4, unit: 'heads' })));
  });

  it('counts attention MACs: projections, scores and weighted values over 28 tokens', () => {
    const layer = modelCost(model).layers.find((l) => l.name === 'block1.attention')!;
    const [t, d, h, k] = [28, 32, 4, 8];
    expect(layer.macs).toBe(t * d * h * k * 3 + t * h * k * d + 2 * h * t * t * k);
    expect(layer.flops).toBeGreaterThan(2 * layer.macs);
    const ffn = modelCost(model).layers.find((l) => l.name === 'block1.ffn1')!;
    expect(ffn.macs).toBe(t * d * 64);
  });

  it('removing heads equals masking them: outputs agree to 1e-5 and the kept heads are sliced', async () => {
    const pruned = await removeFilters(model, { 'block2.attention': [0, 2], 'block3.attention': [3] });
    const attention = pruned.getLayer('block2.attention') as MultiHeadSelfAttention;
    expect(attention.numHeads).toBe(2);
    expect(attention.getWeights()[0]!.shape).toEqual([32, 2, 8]);
    expect(attention.getWeights()[3]!.shape).toEqual([2, 8, 32]);
    // The parent with the same heads masked, through the layer's own masked call.
    const masked = tf.tidy(() => {
      const graph = LayerGraph.of(model);
      const masks: Record<string, number[]> = { 'block2.attention': [0, 1, 0, 1], 'block3.attention': [1, 1, 1, 0] };
      const values = new Map<string, tf.Tensor>([['input', x]]);
      for (const node of graph.ordered().slice(1)) {
        const inputs = node.inputs.map((n) => values.get(n)!);
        const layer = model.getLayer(node.name);
        const mask = masks[node.name];
        values.set(
          node.name,
          mask
            ? (layer as MultiHeadSelfAttention).callWithHeadMask(inputs[0]!, tf.tile(tf.tensor2d([mask]), [64, 1]))
            : (layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor),
        );
      }
      return values.get('classifier')!;
    });
    const out = pruned.predict(x) as tf.Tensor;
    expect(maxAbsDiff(out, masked)).toBeLessThan(1e-5);
    expect(maxAbsDiff(out, model.predict(x) as tf.Tensor)).toBeGreaterThan(1e-3);
    expect(modelCost(pruned).macs).toBeLessThan(modelCost(model).macs);
    tf.dispose([out, masked]);
    pruned.dispose();
  });

  it('removing an encoder block equals bypassing it and drops both its sub-blocks', async () => {
    const pruned = await removeResidualBlocks(model, ['block2.ffn_add']);
    expect(pruned.layers.map((l) => l.name).filter((n) => n.startsWith('block2'))).toEqual([]);
    expect(findResidualBlocks(LayerGraph.of(pruned)).map((b) => b.id)).toEqual(['block1.ffn_add', 'block3.ffn_add']);
    const bypassed = await removeFilters(model, {}); // a copy whose block 2 contributes nothing
    for (const name of ['block2.attention', 'block2.ffn2']) {
      const layer = bypassed.getLayer(name);
      layer.setWeights(layer.getWeights().map((w) => tf.zerosLike(w)));
    }
    expect(maxAbsDiff(pruned.predict(x) as tf.Tensor, bypassed.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
    pruned.dispose();
    bypassed.dispose();
  });

  it('saves and loads in the TF.js format with its heads and weights', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transformer-'));
    const pruned = await removeFilters(model, { 'block1.attention': [1] });
    const preprocessing = { kind: 'channel-mean-std' as const, mean: [0], std: [1] };
    const file = await saveLayersModel(dir, pruned, { preprocessing, source: 'test' });
    const loaded = await loadLayersModel(file);
    expect((loaded.model.getLayer('block1.attention') as MultiHeadSelfAttention).numHeads).toBe(3);
    expect(maxAbsDiff(loaded.model.predict(x) as tf.Tensor, pruned.predict(x) as tf.Tensor)).toBe(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trains: a few SGD steps lower the loss, with decay on kernels only', () => {
    const trained = buildTransformer({ ...OPTIONS, feedForwardDim: 64, seed: 5 });
    const decayed = decayedWeights(trained).map((w) => w.originalName);
    expect(decayed).toContain('block1.attention/query/kernel');
    expect(decayed.some((n) => n.includes('bias') || n.includes('norm'))).toBe(false);
    const labels = tf.tensor1d(takeFirst(loadFashionMnist('test'), 64).labels, 'int32');
    const step = makeTrainStep(trained, tf.train.adam(1e-3), {
      weightDecay: 1e-4,
      decayedWeights: decayedWeights(trained),
    });
    const first = step(x, labels).loss;
    let last = first;
    for (let i = 0; i < 20; i++) last = step(x, labels).loss;
    expect(last).toBeLessThan(first * 0.7);
    trained.dispose();
  });
});
