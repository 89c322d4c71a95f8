// The layer registry is the one place a layer class is known: a class without a rule is refused
// everywhere, and a user's own layer type works end to end once its rule is registered.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf, tfl } from '@prune/compute';
import {
  decayedWeights,
  findFilterGroups,
  LayerGraph,
  layerRule,
  loadLayersModel,
  modelCost,
  removeFilters,
  saveLayersModel,
  supportedLayerClasses,
} from '@prune/models';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ChannelScale, registerChannelScale } from './channel-scale.js';
import { maxAbsDiff } from './helpers.js';

/** conv(4) -> ChannelScale -> relu -> global pool -> dense(3). */
function scaledConvNet(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 2] });
  let y = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv' })
    .apply(input) as tfl.SymbolicTensor;
  y = new ChannelScale({ name: 'scale' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.activation({ activation: 'relu', name: 'relu' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(y) as tfl.SymbolicTensor;
  y = tfl.layers.dense({ units: 3, name: 'out' }).apply(y) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: y });
}

describe('layer rules', () => {
  beforeAll(async () => {
    await initBackend(undefined, () => {});
  });

  it('refuses a layer class without a rule by name, in cost, structures and surgery alike', async () => {
    const model = scaledConvNet(); // ChannelScale is not registered yet
    const unsupported = /layer "scale" has unsupported class ChannelScale; supported: .*registerLayerRule/;
    expect(() => modelCost(model)).toThrow(unsupported);
    expect(() => findFilterGroups(LayerGraph.of(model))).toThrow(unsupported);
    await expect(removeFilters(model, {})).rejects.toThrow(unsupported);
    model.dispose();
  });

  it('a custom layer registered from one file is costed, pruned through, sliced, saved and reloaded', async () => {
    registerChannelScale();
    expect(supportedLayerClasses()).toContain('ChannelScale');
    const model = scaledConvNet();
    model.getLayer('scale').setWeights([tf.tensor1d([0.5, 2, 1.5, 3])]);
    // The conv's filters reach the Dense through the custom layer: one prunable group.
    expect(findFilterGroups(LayerGraph.of(model)).map((g) => [g.id, g.passthrough, g.consumers])).toEqual([
      ['conv', ['scale', 'relu', 'pool'], [{ name: 'out', spread: 1 }]],
    ]);
    expect(modelCost(model).layers.find((l) => l.name === 'scale')!.flops).toBe(6 * 6 * 4);

    // Silence filters 1 and 3 (kernel and bias zero): removing them must not change the outputs.
    const [kernel, bias] = model.getLayer('conv').getWeights();
    const mask = tf.tensor1d([1, 0, 1, 0]);
    model.getLayer('conv').setWeights([tf.mul(kernel!, mask), tf.mul(bias!, mask)]);
    const x = tf.randomNormal([5, 6, 6, 2], 0, 1, 'float32', 3);
    const before = model.predict(x) as tf.Tensor;
    const child = await removeFilters(model, { conv: [1, 3] });
    expect(maxAbsDiff(child.predict(x) as tf.Tensor, before)).toBeLessThan(1e-5);
    expect(Array.from(child.getLayer('scale').getWeights()[0]!.dataSync())).toEqual([0.5, 1.5]);
    expect(modelCost(child).macs).toBe(modelCost(model).macs / 2);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'custom-layer-'));
    const preprocessing = { kind: 'channel-mean-std' as const, mean: [0, 0], std: [1, 1] };
    const reloaded = await loadLayersModel(await saveLayersModel(dir, child, { preprocessing, source: 'test' }));
    expect(maxAbsDiff(reloaded.model.predict(x) as tf.Tensor, before)).toBeLessThan(1e-5);
  });

  it('weight decay applies to what the rules name: kernels, not biases or batch-norm parameters', () => {
    const input = tfl.input({ shape: [4, 4, 1] });
    let y = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'c' }).apply(input) as tfl.SymbolicTensor;
    y = tfl.layers.batchNormalization({ name: 'bn' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.flatten({ name: 'f' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.dense({ units: 2, name: 'd' }).apply(y) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: y });
    expect(decayedWeights(model).map((w) => w.originalName)).toEqual(['c/kernel', 'd/kernel']);
  });

  it('a filter-making rule counts its layer in widths and its L1 norms per output channel', () => {
    const rule = layerRule('Conv2D');
    expect(rule.filters).toBe(true);
    const kernel = tf.tensor4d([1, -2, 3, -4], [1, 1, 2, 2]); // in 2, out 2
    expect(Array.from(rule.outputChannelL1!([kernel]))).toEqual([4, 6]);
  });
});
