import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, tf } from '@prune/compute';
import { loadCifar10Jpeg } from '@prune/data';
import {
  loadLayersModel,
  loadModel,
  loadModelArtifact,
  ModelFormatError,
  parsePreprocessing,
  preprocessImages,
  requirePreprocessing,
  putModelArtifact,
  saveLayersModel,
} from '@prune/models';
import { ArtifactStore } from '@prune/store';
import { maxAbsDiff, PONS, predict, realImages, RESNET20 } from './helpers.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'prune-models-'));

describe('loading real models', () => {
  beforeAll(async () => {
    await initBackend(undefined, () => {});
  });

  it('the pretrained ResNet-20 classifies 99.80% of the lossless 4,000 correctly (exact import)', async () => {
    const { model, metadata } = await loadModel(RESNET20);
    expect(metadata.preprocessing).toEqual({
      kind: 'channel-mean-std',
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    const { x, labels } = realImages(4000, metadata.preprocessing);
    const predicted = tf.tidy(() => tf.argMax(predict(model, x), -1).dataSync());
    const correct = labels.reduce((n, label, i) => n + (predicted[i] === label ? 1 : 0), 0);
    expect(correct).toBe(3992);
  });

  it('reproduces 81.03% on the JPEG CIFAR-10 test split (within 0.1 point)', async () => {
    const { model, metadata } = await loadModel(RESNET20);
    const test = await loadCifar10Jpeg('test');
    let correct = 0;
    for (let start = 0; start < test.count; start += 500) {
      const x = preprocessImages(
        test.pixels.subarray(start * 3072, (start + 500) * 3072),
        [500, 32, 32, 3],
        requirePreprocessing(metadata),
      );
      const predicted = tf.tidy(() => tf.argMax(predict(model, x), -1).dataSync());
      x.dispose();
      predicted.forEach((p, i) => (correct += p === test.labels[start + i] ? 1 : 0));
    }
    expect(Math.abs((100 * correct) / test.count - 81.03)).toBeLessThanOrEqual(0.1);
  });

  it('loads a Keras 2.10 functional model from JSON + HDF5; its preprocessing is declared, never guessed', async () => {
    const undeclared = await loadModel(PONS('iter9'));
    expect(undeclared.metadata.preprocessing).toBeUndefined(); // Keras files do not record it
    expect(() => requirePreprocessing(undeclared.metadata)).toThrow(
      /the model does not say how its input pixels are normalized; declare it with --preprocessing/,
    );
    undeclared.model.dispose();
    const { model, metadata } = await loadModel(PONS('iter9'), { preprocessing: parsePreprocessing('pixel-mean') });
    expect(metadata.preprocessing).toEqual({ kind: 'pixel-mean', meanOf: 'cifar10:train' });
    expect(model.layers.length).toBe(128);
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
  });

  it('saves in the TF.js layers format with metadata and reloads to identical outputs', async () => {
    const { model, metadata } = await loadModel(RESNET20);
    const dir = tmp();
    await saveLayersModel(dir, model, metadata);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const reloaded = await loadModel(path.join(dir, 'model.json'));
    expect(reloaded.metadata).toEqual(metadata);
    const { x } = realImages(64, metadata.preprocessing);
    expect(maxAbsDiff(predict(model, x), predict(reloaded.model, x))).toBe(0);
  });
});

describe('malformed models get errors naming the layer and the problem', () => {
  it('truncated weights', async () => {
    const dir = tmp();
    const manifest = path.join(dir, 'm.manifest.json');
    fs.copyFileSync(RESNET20, manifest);
    const weights = fs.readFileSync(RESNET20.replace('.manifest.json', '.weights.bin'));
    fs.writeFileSync(path.join(dir, 'm.weights.bin'), weights.subarray(0, weights.length - 100));
    await expect(loadModel(manifest)).rejects.toThrow(/tensor linear\.\w+ needs bytes .* \(truncated\)/);

    const { model, metadata } = await loadModel(RESNET20);
    await saveLayersModel(dir, model, metadata);
    fs.truncateSync(path.join(dir, 'weights.bin'), 1000);
    await expect(loadLayersModel(path.join(dir, 'model.json'))).rejects.toThrow(
      /weights are 1000 bytes, the manifest needs \d+ \(truncated or wrong file\)/,
    );
  });

  it('an oversized model file is refused before it is read', async () => {
    const huge = path.join(tmp(), 'huge.json');
    fs.writeFileSync(huge, '{}');
    fs.truncateSync(huge, 65 * 2 ** 20); // sparse: no 65 MiB written
    await expect(loadModel(huge)).rejects.toThrow(
      /huge\.json: 65 MiB, more than the 64 MiB a model file of this kind may have/,
    );
  });

  it('a model with a NaN or infinite weight is refused, naming the layer', async () => {
    const dir = tmp();
    const { model, metadata } = await loadModel(RESNET20);
    const bn = model.layers.find((l) => l.getClassName() === 'BatchNormalization')!;
    const [gamma, ...rest] = bn.getWeights();
    const poisoned = gamma!.arraySync() as number[];
    poisoned[3] = NaN;
    bn.setWeights([tf.tensor1d(poisoned), ...rest]);
    const modelJson = await saveLayersModel(dir, model, metadata);
    await expect(loadModel(modelJson)).rejects.toThrow(
      `layer "${bn.name}" weight ${bn.name}/gamma holds NaN at index 3; a model must have finite weights`,
    );
  });

  it('weight paths outside the model directory are never read', async () => {
    const dir = tmp();
    const { model, metadata } = await loadModel(RESNET20);
    const modelJson = await saveLayersModel(dir, model, metadata);
    const json = JSON.parse(fs.readFileSync(modelJson, 'utf8'));
    for (const escape of ['../../etc/passwd', '/etc/passwd', '..']) {
      json.weightsManifest[0].paths = [escape];
      fs.writeFileSync(modelJson, JSON.stringify(json));
      await expect(loadLayersModel(modelJson)).rejects.toThrow(
        `weightsManifest path "${escape}" must be a file name beside model.json`,
      );
    }
  });

  it('a shape mismatch between architecture and weights', async () => {
    const dir = tmp();
    const json = JSON.parse(fs.readFileSync(PONS('iter9'), 'utf8'));
    json.config.layers.find((l: { class_name: string }) => l.class_name === 'Dense').config.units = 5;
    fs.writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(json));
    fs.copyFileSync(PONS('iter9').replace('.json', '.h5'), path.join(dir, 'bad.h5'));
    await expect(loadModel(path.join(dir, 'bad.json'))).rejects.toThrow(
      /layer "\w+" weight kernel has shape \[64,10\], the architecture needs \[64,5\]/,
    );
  });

  it('an unknown layer, and Lambda layers, are refused by name', async () => {
    const dir = tmp();
    const json = JSON.parse(fs.readFileSync(PONS('iter9'), 'utf8'));
    json.config.layers[3].class_name = 'Lambda';
    fs.writeFileSync(path.join(dir, 'lambda.json'), JSON.stringify(json));
    const error = await loadModel(path.join(dir, 'lambda.json')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(
      /layer "Act1_" has unsupported class Lambda \(Lambda layers carry code and are never loaded\)/,
    );
    json.config.layers[3].class_name = 'FancyNorm';
    fs.writeFileSync(path.join(dir, 'unknown.json'), JSON.stringify(json));
    await expect(loadModel(path.join(dir, 'unknown.json'))).rejects.toThrow(
      /layer "Act1_" has unsupported class FancyNorm/,
    );
  });

  it('a missing file is NOT_FOUND', async () => {
    await expect(loadModel('/nonexistent/model.json')).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('a stored model whose weights were altered is DATA_LOSS, not a silently different model', async () => {
    const store = new ArtifactStore(tmp());
    const { model, metadata } = await loadModel(RESNET20);
    const ref = await putModelArtifact(store, model, metadata);
    (await loadModelArtifact(store, ref, 'parent')).model.dispose();
    const weights = path.join(store.resolve(ref), 'weights.bin');
    const bytes = fs.readFileSync(weights);
    bytes[1000] ^= 0xff;
    fs.writeFileSync(weights, bytes);
    await expect(loadModelArtifact(store, ref, 'parent')).rejects.toMatchObject({
      kind: 'data-loss',
      message: expect.stringContaining('parent:'),
    });
  });
});
