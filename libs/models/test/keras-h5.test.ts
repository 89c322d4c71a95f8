// A single-file Keras 2 `.h5` as model.save writes it (architecture in the `model_config`
// attribute, weights under `model_weights`) loads on its own, to the same outputs as the
// architecture JSON with its weights; a weights-only file says where its architecture is.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import h5wasm from 'h5wasm/node';
import { initBackend } from '@prune/compute';
import { loadModel, parsePreprocessing } from '../src/index.js';
import { maxAbsDiff, PONS, predict, realImages } from './helpers.js';

type Node = {
  keys(): string[];
  get(name: string): Node | null;
  attrs: Record<string, { value: unknown; shape: number[] | null; dtype: string }>;
  type: string;
  value: unknown;
  shape: number[];
  dtype: string;
  create_group(name: string): Node;
  create_dataset(options: { name: string; data: unknown; shape: number[]; dtype: string }): Node;
  create_attribute(name: string, value: unknown, shape?: number[] | null, dtype?: string | null): void;
};

/** Copies `from` into `to`: groups, datasets and their attributes. */
function copy(from: Node, to: Node): void {
  for (const [name, attr] of Object.entries(from.attrs)) to.create_attribute(name, attr.value, attr.shape, attr.dtype);
  for (const name of from.keys()) {
    const child = from.get(name)!;
    if (child.type === 'Group') copy(child, to.create_group(name));
    else to.create_dataset({ name, data: child.value, shape: child.shape, dtype: child.dtype });
  }
}

/** What Keras 2's model.save writes: the save_weights file under model_weights, the architecture as model_config. */
function writeSingleFileH5(architectureJson: string, weightsH5: string, target: string): void {
  const weights = new h5wasm.File(weightsH5, 'r') as unknown as Node & { close(): void };
  const out = new h5wasm.File(target, 'w') as unknown as Node & { close(): void };
  try {
    out.create_attribute('model_config', fs.readFileSync(architectureJson, 'utf8'));
    out.create_attribute('keras_version', '2.10.0');
    out.create_attribute('backend', 'tensorflow');
    copy(weights, out.create_group('model_weights'));
  } finally {
    weights.close();
    out.close();
  }
}

describe('a single-file Keras 2 .h5', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-h5-'));
  const single = path.join(dir, 'resnet56.h5');

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    await h5wasm.ready;
    writeSingleFileH5(PONS('iter9'), PONS('iter9').replace(/\.json$/, '.h5'), single);
  });

  it('loads on its own to the same outputs as its architecture JSON with the weights', async () => {
    const preprocessing = parsePreprocessing('pixel-mean');
    const fromH5 = await loadModel(single, { preprocessing });
    const fromJson = await loadModel(PONS('iter9'), { preprocessing });
    expect(fromH5.metadata).toEqual({ preprocessing, source: single });
    const { x } = realImages(32);
    expect(maxAbsDiff(predict(fromH5.model, x), predict(fromJson.model, x))).toBe(0);
    fromH5.model.dispose();
    fromJson.model.dispose();
  });

  it('a weights-only .h5 (save_weights) names the architecture beside it', async () => {
    await expect(loadModel(PONS('iter9').replace(/\.json$/, '.h5'))).rejects.toThrow(
      /holds weights only \(no model_config: written by save_weights\); load .*resnet56-pons-iter9\.json, the architecture beside it/,
    );
  });
});
