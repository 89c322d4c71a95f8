// Keras 3 files written by real Keras (test/fixtures/make_keras3.py, Keras 3.15): the `.keras`
// archive and the legacy single-file `.h5` load to the outputs Keras computed, through the same
// allow-list and structure analysis.
import { beforeAll, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, tf } from '@prune/compute';
import { findFilterGroups, findResidualBlocks, keras2Topology, LayerGraph, loadModel } from '../src/index.js';

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

it('a damaged archive and a Sequential model are refused with what is wrong', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras3-bad-'));
  const truncated = path.join(dir, 'truncated.keras');
  const archive = fs.readFileSync(path.join(FIXTURES, 'keras3-tiny.keras'));
  fs.writeFileSync(truncated, archive.subarray(0, archive.length - 30));
  await expect(loadModel(truncated)).rejects.toThrow(/truncated\.keras: not a (readable )?\.keras archive/);
  expect(() => keras2Topology({ class_name: 'Sequential', config: { layers: [] } }, 'seq.keras')).toThrow(
    'seq.keras: a Sequential model; only functional models load (build it as keras.Model(inputs, outputs))',
  );
});
