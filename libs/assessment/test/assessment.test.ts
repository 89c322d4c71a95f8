// The assessment on the pretrained ResNet-20 and real CIFAR-10 images: attacks that weaken it as
// epsilon grows (and do nothing at 0), corruptions that move pixels by their published amounts,
// and the energy arithmetic of the Impact Calculator worked by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { initBackend, tf } from '@prune/compute';
import { loadCifar10Lossless4000, seededRandom, sharedDir, takeFirst } from '@prune/data';
import { loadModel } from '@prune/models';
import { evaluateModel } from '@prune/training';
import {
  adversarialAccuracy,
  assessModel,
  CORRUPTION_NAMES,
  corruptImage,
  defaultEnergyAssumptions,
  estimateEnergy,
  SEVERITY_PARAMETERS,
  type CorruptionName,
} from '../src/index.js';

const RESNET20 = path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json');
const SHAPE = { height: 32, width: 32, channels: 3 };

beforeAll(() => initBackend(undefined, () => {}));

/** A 32x32 RGB image filled with `rgb`. */
const flat = (rgb: [number, number, number]) => Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => rgb[i % 3]!);
const corrupt = (pixels: Uint8Array, name: CorruptionName, severity: number) =>
  corruptImage(pixels, SHAPE, name, severity, seededRandom(7));
const std = (values: number[]) => {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
};

describe('adversarial accuracy', () => {
  it('FGSM at epsilon 0 is clean accuracy; accuracy falls as epsilon rises; PGD is at least as strong', async () => {
    const { model, metadata } = await loadModel(RESNET20);
    const data = takeFirst(loadCifar10Lossless4000(), 100);
    const clean = (await evaluateModel(model, metadata, data)).accuracy;
    const tensors = tf.memory().numTensors;
    const results = adversarialAccuracy(model, metadata.preprocessing!, data, {
      epsilons: [0, 1 / 255, 4 / 255, 8 / 255],
      pgdSteps: 3,
    });
    expect(tf.memory().numTensors).toBe(tensors); // every attack's tensors released
    const fgsm = results.filter((r) => r.attack === 'fgsm').map((r) => r.accuracy);
    expect(fgsm[0]).toBe(clean);
    for (let i = 1; i < fgsm.length; i++) expect(fgsm[i]!).toBeLessThanOrEqual(fgsm[i - 1]!);
    expect(fgsm.at(-1)!).toBeLessThan(clean - 0.3); // 8/255 breaks an undefended network
    for (const pgd of results.filter((r) => r.attack === 'pgd' && r.epsilon > 0))
      expect(pgd.accuracy).toBeLessThanOrEqual(fgsm[[0, 1 / 255, 4 / 255, 8 / 255].indexOf(pgd.epsilon)]! + 0.02);
  });
});

describe('corruptions (CIFAR-10-C parameters)', () => {
  it('severity 0 is the identity for every corruption', async () => {
    const image = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i * 37) % 256);
    for (const name of CORRUPTION_NAMES) expect(await corrupt(image, name, 0)).toEqual(image);
  });

  it('noise moves a grey image by the published amount at each severity', async () => {
    const grey = flat([128, 128, 128]);
    for (let severity = 1; severity <= 5; severity++) {
      const moved = (name: CorruptionName) => corrupt(grey, name, severity).then((p) => Array.from(p, (v) => v / 255));
      // Gaussian: standard deviation c.
      expect(std(await moved('gaussian_noise'))).toBeCloseTo(SEVERITY_PARAMETERS.gaussian_noise[severity - 1]!, 2);
      // Shot: Poisson(x c) / c has standard deviation sqrt(x / c).
      const c = SEVERITY_PARAMETERS.shot_noise[severity - 1]!;
      expect(std(await moved('shot_noise')) / Math.sqrt(128 / 255 / c)).toBeCloseTo(1, 1);
      // Impulse: a fraction c of the values becomes 0 or 1.
      const flipped = (await moved('impulse_noise')).filter((v) => v === 0 || v === 1).length / grey.length;
      expect(flipped).toBeCloseTo(SEVERITY_PARAMETERS.impulse_noise[severity - 1]!, 2);
    }
  });

  it('contrast, brightness and saturate follow their formulas exactly', async () => {
    const twoTone = Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i < 32 * 16 * 3 ? 51 : 204));
    const brown = flat([153, 102, 51]); // HSV (1/12, 2/3, 0.6)
    for (let severity = 1; severity <= 5; severity++) {
      const c = SEVERITY_PARAMETERS.contrast[severity - 1]!;
      const mean = (51 + 204) / 2 / 255;
      expect((await corrupt(twoTone, 'contrast', severity))[0]).toBe(Math.floor(((51 / 255 - mean) * c + mean) * 255));
      const b = SEVERITY_PARAMETERS.brightness[severity - 1]!;
      expect((await corrupt(brown, 'brightness', severity))[0]).toBe(Math.floor(Math.min(0.6 + b, 1) * 255)); // V is red
      const [scale, shift] = SEVERITY_PARAMETERS.saturate[severity - 1]!;
      const s = Math.min(Math.max((2 / 3) * scale + shift, 0), 1);
      expect((await corrupt(brown, 'saturate', severity))[2]).toBe(Math.floor(0.6 * (1 - s) * 255)); // blue = v (1 - s)
    }
  });

  it('blurs keep a flat image flat and spread a point more as severity rises; JPEG and pixelate lose more', async () => {
    const point = flat([0, 0, 0]);
    point.set([255, 255, 255], (16 * 32 + 16) * 3);
    for (const name of ['gaussian_blur', 'defocus_blur'] as const) {
      const flatAfter = new Set(await corrupt(flat([90, 90, 90]), name, 3));
      expect(flatAfter.size, name).toBe(1);
      expect(Math.abs([...flatAfter][0]! - 90), name).toBeLessThanOrEqual(1);
      const peaks = [];
      for (let severity = 1; severity <= 5; severity++)
        peaks.push((await corrupt(point, name, severity))[(16 * 32 + 16) * 3]!);
      for (let i = 1; i < peaks.length; i++) expect(peaks[i]!, `${name} ${i + 1}`).toBeLessThanOrEqual(peaks[i - 1]!);
      expect(peaks[0]!).toBeLessThan(255);
    }
    const photo = takeFirst(loadCifar10Lossless4000(), 1).pixels;
    const error = async (name: CorruptionName, severity: number) =>
      Array.from(await corrupt(photo, name, severity)).reduce((sum, v, i) => sum + Math.abs(v - photo[i]!), 0) /
      photo.length;
    for (const name of ['jpeg_compression', 'pixelate'] as const) {
      const errors = [];
      for (let severity = 1; severity <= 5; severity++) errors.push(await error(name, severity));
      expect(errors[4]!, name).toBeGreaterThan(errors[0]!);
      expect(errors[0]!, name).toBeGreaterThan(0.5);
    }
  });
});

describe('energy and CO2', () => {
  it('is power x PUE x time, times the carbon intensity (a hand-worked example)', () => {
    // 100 W for an hour at PUE 1.5: 0.15 kWh; at 400 g/kWh: 60 g.
    const estimate = estimateEnergy(3600, { device: 'x', watts: 100, pue: 1.5, gramsCo2PerKwh: 400, grid: 'y' });
    expect(estimate.kilowattHours).toBeCloseTo(0.15, 10);
    expect(estimate.gramsCo2).toBeCloseTo(60, 8);
    const assumptions = defaultEnergyAssumptions('tfjs-tensorflow', { PRUNE_THREADS: '2', PRUNE_PUE: '1.2' });
    expect(assumptions).toMatchObject({ watts: 24, pue: 1.2, gramsCo2PerKwh: 475 });
    // the CUDA build (activeEngine() names it tfjs-tensorflow-gpu) draws a GPU's power
    expect(defaultEnergyAssumptions('tfjs-tensorflow-gpu', {})).toMatchObject({ watts: 700 });
    expect(() => defaultEnergyAssumptions('cpu', { PRUNE_DEVICE_WATTS: 'lots' })).toThrow(
      'PRUNE_DEVICE_WATTS: "lots" is not a positive number',
    );
  });
});

it('assesses a model: clean, attacked and corrupted accuracy, latency and energy with assumptions', async () => {
  const { model, metadata } = await loadModel(RESNET20);
  const data = takeFirst(loadCifar10Lossless4000(), 40);
  const result = await assessModel(model, metadata, data, {
    epsilons: [2 / 255],
    pgdSteps: 2,
    corruptions: ['gaussian_noise', 'contrast'],
    severities: [1, 5],
  });
  expect(result.examples).toBe(40);
  expect(result.clean).toBeGreaterThan(0.9);
  expect(result.adversarial.map((a) => a.attack)).toEqual(['fgsm', 'pgd']);
  expect(result.corruptions).toHaveLength(4);
  expect(result.meanCorruptionAccuracy).toBeLessThan(result.clean);
  expect(result.latency.map((l) => `${l.engine}@${l.batch}`)).toContain('onnxruntime-cpu@64');
  for (const e of result.energy) {
    expect(e.gramsCo2Per1000).toBeGreaterThan(0);
    expect(e.assumptions.grid).toContain('IEA');
  }
  expect(result.notes.join()).toContain('CIFAR-10.2 is not available offline');
});
