// A model written as a Keras 3 `.keras` archive or `.h5` file loads back to the same outputs here, and in real
// Keras when pip can install it on this machine (the test says when it skipped that half).
import { beforeAll, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { initBackend, tf } from '@prune/compute';
import { pythonEnvironment } from '@prune/service-kit';
import { loadModel, parsePreprocessing, saveKeras3Archive, saveKeras3H5 } from '../src/index.js';
import { PONS, RESNET20 } from './helpers.js';

const PREDICT = path.resolve(import.meta.dirname, 'fixtures/predict_keras.py');

beforeAll(() => initBackend(undefined, () => {}));

const inputs = () =>
  tf.tensor4d(
    Float32Array.from({ length: 2 * 32 * 32 * 3 }, (_, i) => Math.sin(i / 1000) / 2 + 0.5),
    [2, 32, 32, 3],
  );

it.each([
  ['.keras', saveKeras3Archive],
  ['.h5', saveKeras3H5],
])('writes the Keras ResNet-56 as %s: it loads back here and in Keras to the same outputs', async (extension, save) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'keras-export-')), `resnet56${extension}`);
  const { model } = await loadModel(PONS('iter9'), { preprocessing: parsePreprocessing('pixel-mean') });
  await save(model, file);
  const expected = Array.from((model.predict(inputs()) as tf.Tensor).dataSync());
  const reloaded = await loadModel(file);
  expect(Array.from((reloaded.model.predict(inputs()) as tf.Tensor).dataSync())).toEqual(expected);
  model.dispose();
  reloaded.model.dispose();

  const python = await pythonEnvironment(
    'keras',
    ['keras', 'jax', 'jaxlib', 'h5py', 'scipy'],
    ['keras', 'jax', 'h5py'],
  ).catch((error: Error) => {
    console.warn(`skipped the check in real Keras: its Python packages could not be installed (${error.message})`);
    return undefined;
  });
  if (!python) return;
  const { stdout } = await promisify(execFile)(python, [PREDICT, file], {
    env: { ...process.env, KERAS_BACKEND: 'jax' },
  });
  const keras = JSON.parse(stdout) as number[];
  keras.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 4));
});

it('refuses a model with layers Keras does not have, naming the layer', async () => {
  const { model } = await loadModel(RESNET20); // option-A shortcuts are this project's own layer
  await expect(saveKeras3Archive(model, path.join(os.tmpdir(), 'x.keras'))).rejects.toThrow(
    /is a OptionAShortcut, this project's own layer, which the Keras writer has no Keras form for: this model cannot be written for Keras \(\.keras, \.h5\); save it as TF.js/,
  );
  model.dispose();
});
