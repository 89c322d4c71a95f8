// Preprocessing is declared (a preset or mean/std/scale/order), applied exactly, and required
// before a model is stored for training: never guessed.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@prune/compute';
import { ArtifactStore } from '@prune/store';
import {
  buildCifarResNet,
  parsePreprocessing,
  PREPROCESSING_PRESETS,
  preprocessImages,
  putModelArtifact,
} from '../src/index.js';

beforeAll(() => initBackend(undefined, () => {}));

describe('parsePreprocessing', () => {
  it('reads every preset by name, and a custom mean/std/scale/order', () => {
    for (const [name, { preprocessing }] of Object.entries(PREPROCESSING_PRESETS))
      expect(parsePreprocessing(name)).toEqual(preprocessing);
    expect(parsePreprocessing('pixel-mean:cifar10-jpeg:train')).toEqual({
      kind: 'pixel-mean',
      meanOf: 'cifar10-jpeg:train',
    });
    expect(parsePreprocessing(' mean=0.49,0.48,0.45; std=0.25,0.24,0.26 ;order=bgr')).toEqual({
      kind: 'channel-mean-std',
      mean: [0.49, 0.48, 0.45],
      std: [0.25, 0.24, 0.26],
      channelOrder: 'bgr',
    });
    expect(parsePreprocessing('mean=127;std=64;scale=1')).toEqual({
      kind: 'channel-mean-std',
      mean: [127],
      std: [64],
      scale: 1,
    });
  });

  it('refuses what it cannot read, naming the field and the syntax', () => {
    expect(() => parsePreprocessing('zscore', '--preprocessing')).toThrow(
      /^--preprocessing: "zscore" is not a name \(raw, unit/,
    );
    expect(() => parsePreprocessing('mean=a,b')).toThrow(
      'preprocessing: mean= expects comma-separated numbers, got "a,b"',
    );
    expect(() => parsePreprocessing('std=0')).toThrow('preprocessing: std must be positive');
    expect(() => parsePreprocessing('scale=-2')).toThrow(/scale must be a positive number or 1\/255/);
    expect(() => parsePreprocessing('order=grb')).toThrow('preprocessing: order must be rgb or bgr');
  });
});

describe('preprocessImages', () => {
  const pixels = Uint8Array.from([0, 128, 255, 10, 20, 30]); // two RGB pixels
  const apply = (spec: string) =>
    Array.from(preprocessImages(pixels, [1, 1, 2, 3], parsePreprocessing(spec)).dataSync());

  it('applies raw, unit, signed, per-channel mean/std and BGR order exactly', () => {
    expect(apply('raw')).toEqual([0, 128, 255, 10, 20, 30]);
    apply('unit').forEach((v, i) => expect(v).toBeCloseTo(pixels[i]! / 255, 6));
    apply('signed').forEach((v, i) => expect(v).toBeCloseTo(pixels[i]! / 127.5 - 1, 5));
    apply('mean=0.1,0.2,0.3;std=0.5,0.25,0.2').forEach((v, i) =>
      expect(v).toBeCloseTo((pixels[i]! / 255 - [0.1, 0.2, 0.3][i % 3]!) / [0.5, 0.25, 0.2][i % 3]!, 5),
    );
    expect(apply('order=bgr;scale=1')).toEqual([255, 128, 0, 30, 20, 10]);
  });

  it('refuses a mean or std that matches neither one nor every channel', () => {
    expect(() => apply('mean=0.1,0.2;std=1')).toThrow(
      'preprocessing: mean and std have 2 and 1 entries, but the data has 3 channels (give 3 or 1)',
    );
    expect(() => parsePreprocessing('mean=0.5,,0.4')).toThrow('mean= expects comma-separated numbers');
  });
});

it('a model is stored for training only with its preprocessing, and the error shows how to declare it', async () => {
  const store = new ArtifactStore(fs.mkdtempSync(path.join(os.tmpdir(), 'preprocessing-')));
  const model = buildCifarResNet({ depth: 8 });
  try {
    await expect(putModelArtifact(store, model, { source: 'my-model.h5' })).rejects.toThrow(
      /^my-model.h5: the model does not say how its input pixels are normalized; declare it with --preprocessing .*: a name \(raw, unit, signed, torch-cifar, pixel-mean\)/,
    );
    expect(fs.readdirSync(path.join(store.root, 'dirs'))).toEqual([]); // nothing half-written
  } finally {
    model.dispose();
    fs.rmSync(store.root, { recursive: true, force: true });
  }
});
