// Keras 3 files written by real Keras (test/fixtures/make_keras3.py, Keras 3.15): the `.keras`
// archive and the legacy single-file `.h5` load to the outputs Keras computed, through the same
// allow-list and structure analysis.
import { beforeAll, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, tf, tfl } from '@prune/compute';
import {
  findFilterGroups,
  findResidualBlocks,
  functionalFromSequential,
  keras2Topology,
  LayerGraph,
  loadModel,
  removeFilters,
} from '../src/index.js';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');

beforeAll(() => initBackend(undefined, () => {}));

it.each(['keras3-tiny.keras', 'keras3-tiny.h5'])(
  '%s loads to the outputs Keras computed, and its residual block is found',
  async (name) => {
    const { model, metadata } = await loadModel(path.join(FIXTURES, name));
    expect(metadata.preprocessing).toBeUndefined(); // Keras files do not say: declared by the user
    const count = 2 * 32 * 32 * 3;
    const x = tf.tensor4d(
      Float32Array.from({ length: count }, (_, i) => Math.sin(i / 1000) / 2 + 0.5),
      [2, 32, 32, 3],
    );
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'keras3-tiny.outputs.json'), 'utf8')).outputs;
    const actual = Array.from((model.predict(x) as tf.Tensor).dataSync());
    actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    const graph = LayerGraph.of(model);
    expect(findResidualBlocks(graph).map((b) => b.id)).toEqual(['add']);
    expect(findFilterGroups(graph)).toEqual([]); // both convolutions feed the residual stream
    model.dispose();
  },
);

it.each(['keras3-sequential.keras', 'keras3-sequential.h5'])(
  '%s (a Sequential model) loads as the functional chain it is, to the outputs Keras computed, and prunes',
  async (name) => {
    const { model } = await loadModel(path.join(FIXTURES, name));
    const count = 2 * 32 * 32 * 3;
    const x = tf.tensor4d(
      Float32Array.from({ length: count }, (_, i) => Math.sin(i / 1000) / 2 + 0.5),
      [2, 32, 32, 3],
    );
    const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'keras3-sequential.outputs.json'), 'utf8'));
    const actual = Array.from((model.predict(x) as tf.Tensor).dataSync());
    actual.forEach((value, i) => expect(value).toBeCloseTo(expected.outputs[i], 5));
    const groups = findFilterGroups(LayerGraph.of(model));
    expect(groups.map((g) => [g.id, g.channels])).toEqual([
      ['conv2d', 8],
      ['conv2d_1', 12],
    ]);
    const pruned = await removeFilters(model, { conv2d: [0, 1], conv2d_1: [5] });
    expect(findFilterGroups(LayerGraph.of(pruned)).map((g) => g.channels)).toEqual([6, 11]);
    expect((pruned.predict(x) as tf.Tensor).shape).toEqual([2, 10]);
    model.dispose();
    pruned.dispose();
  },
);

it('a Keras 2 Sequential configuration (as model.save wrote it, and the older list form) becomes the same network', async () => {
  const sequential = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, name: 'c1' }),
      tfl.layers.flatten({ name: 'f' }),
      tfl.layers.dense({ units: 5, name: 'd' }),
    ],
  });
  const keras2 = JSON.parse(JSON.stringify(sequential.toJSON(null, false))) as Record<string, unknown>;
  const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
  for (const topology of [keras2, { ...keras2, config: (keras2['config'] as { layers: unknown[] }).layers }]) {
    const functional = functionalFromSequential(topology, false, 'seq.h5');
    const model = (await tfl.models.modelFromJSON({ modelTopology: functional } as never)) as tfl.LayersModel;
    expect(model.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Conv2D', 'Flatten', 'Dense']);
    model.setWeights(sequential.getWeights());
    expect(Array.from((model.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((sequential.predict(x) as tf.Tensor).dataSync()),
    );
    model.dispose();
  }
  sequential.dispose();
});

it('a damaged archive, an empty or unbuilt Sequential model and a subclassed one are refused with what is wrong', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras3-bad-'));
  const truncated = path.join(dir, 'truncated.keras');
  const archive = fs.readFileSync(path.join(FIXTURES, 'keras3-tiny.keras'));
  fs.writeFileSync(truncated, archive.subarray(0, archive.length - 30));
  await expect(loadModel(truncated)).rejects.toThrow(/truncated\.keras: not a (readable )?\.keras archive/);
  expect(() => functionalFromSequential({ class_name: 'Sequential', config: { layers: [] } }, true, 's.keras')).toThrow(
    's.keras: a Sequential model without layers',
  );
  const unbuilt = { class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: { name: 'd' } }] } };
  expect(() => functionalFromSequential(unbuilt, false, 's.h5')).toThrow(
    's.h5: a Sequential model that was never built: its input shape is unknown',
  );
  expect(() => keras2Topology({ class_name: 'Subclassed', config: {} }, 'm.keras')).toThrow(
    'm.keras: a Subclassed model; only functional and Sequential models load',
  );
});

it('keras3-transformer.keras (MultiHeadAttention as self-attention) loads to the outputs Keras computed; its heads prune', async () => {
  const { model } = await loadModel(path.join(FIXTURES, 'keras3-transformer.keras'));
  // The sequences the fixture script feeds Keras: x[:, :28, :28, 0] of the sin images above.
  const sequences = Float32Array.from({ length: 2 * 28 * 28 }, (_, i) => {
    const [b, r, c] = [Math.floor(i / 784), Math.floor(i / 28) % 28, i % 28];
    return Math.sin((b * 3072 + r * 96 + c * 3) / 1000) / 2 + 0.5;
  });
  const x = tf.tensor3d(sequences, [2, 28, 28]);
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'keras3-transformer.outputs.json'), 'utf8'));
  const actual = Array.from((model.predict(x) as tf.Tensor).dataSync());
  actual.forEach((value, i) => expect(value).toBeCloseTo(expected.outputs[i], 4));
  const graph = LayerGraph.of(model);
  expect(findResidualBlocks(graph).map((b) => b.id)).toEqual(['ffn_add']);
  expect(findFilterGroups(graph).map((g) => [g.id, g.kind, g.channels])).toEqual([['attention', 'units', 4]]);
  const pruned = await removeFilters(model, { attention: [2] });
  expect(pruned.getLayer('attention').getConfig()['numHeads']).toBe(3);
  pruned.dispose();
  model.dispose();
});

it.each([
  ['two positional tensors', { args: ['a', 'b'], kwargs: {} }],
  ['the value by keyword', { args: ['a'], kwargs: { value: 'b' } }],
  ['the key by keyword', { args: ['a', 'a'], kwargs: { key: 'b' } }],
])('a MultiHeadAttention that attends from one tensor to another (%s) is refused by name', (_title, call) => {
  const tensor = (layer: string) => ({ class_name: '__keras_tensor__', config: { keras_history: [layer, 0, 0] } });
  const topology = {
    class_name: 'Functional',
    config: {
      name: 'cross',
      layers: [
        { class_name: 'InputLayer', name: 'a', config: { name: 'a', batch_shape: [null, 4, 8] }, inbound_nodes: [] },
        { class_name: 'InputLayer', name: 'b', config: { name: 'b', batch_shape: [null, 4, 8] }, inbound_nodes: [] },
        {
          class_name: 'MultiHeadAttention',
          name: 'cross_attention',
          config: { name: 'cross_attention', num_heads: 2, key_dim: 4 },
          inbound_nodes: [
            {
              args: call.args.map(tensor),
              kwargs: Object.fromEntries(Object.entries(call.kwargs).map(([k, l]) => [k, tensor(l)])),
            },
          ],
        },
      ],
      input_layers: [
        ['a', 0, 0],
        ['b', 0, 0],
      ],
      output_layers: [['cross_attention', 0, 0]],
    },
  };
  expect(() => keras2Topology(topology, 'cross.keras')).toThrow(
    /MultiHeadAttention "cross_attention" attends from one tensor to another.*only self-attention/,
  );
});
