// The assessment of one model on labeled images: clean accuracy, accuracy under FGSM and PGD,
// accuracy on each CIFAR-10-C corruption and severity (and their mean), measured latency, and the
// energy and CO2 of inference with the assumptions they rest on.
import type { tfl } from '@prune/compute';
import { seededRandom, type LabeledImages } from '@prune/data';
import { measureLatency, type LatencyMeasurement, type ModelMetadata } from '@prune/models';
import { evaluateModel, resolvePreprocessing } from '@prune/training';
import { adversarialAccuracy, type AttackAccuracy } from './adversarial.js';
import { CORRUPTION_NAMES, corruptImage, type CorruptionName } from './corruptions.js';
import { defaultEnergyAssumptions, estimateEnergy, type EnergyAssumptions } from './energy.js';

export interface AssessmentOptions {
  /** Pixel-space epsilons for FGSM/PGD (fractions of 255); empty: no attacks. */
  epsilons?: number[];
  pgdSteps?: number;
  corruptions?: CorruptionName[];
  severities?: number[];
  /** Measure latency (and estimate inference energy from it). */
  latency?: boolean;
  seed?: number;
}

export const DEFAULT_EPSILONS = [1 / 255, 2 / 255, 4 / 255, 8 / 255];
export const DEFAULT_PGD_STEPS = 5;

export interface CorruptionAccuracy {
  corruption: CorruptionName;
  severity: number;
  accuracy: number;
}

export interface Assessment {
  examples: number;
  clean: number;
  adversarial: AttackAccuracy[];
  corruptions: CorruptionAccuracy[];
  /**
   * Mean accuracy over the corruptions and severities assessed (by default our 10 types; not the
   * standard 15-type CIFAR-10-C mean, which needs the blur and weather types we lack).
   */
  meanCorruptionAccuracy?: number;
  latency: LatencyMeasurement[];
  /** Inference energy and CO2 per 1,000 images at the fastest batch measured on each engine. */
  energy: { engine: string; kilowattHoursPer1000: number; gramsCo2Per1000: number; assumptions: EnergyAssumptions }[];
  /** What was not assessed and why. */
  notes: string[];
}

export async function assessModel(
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  data: LabeledImages,
  options: AssessmentOptions = {},
): Promise<Assessment> {
  const preprocessing = await resolvePreprocessing(metadata);
  const resolved = { ...metadata, preprocessing };
  const notes = ['CIFAR-10.2 is not available offline (nothing downloads): not assessed'];
  const clean = (await evaluateModel(model, resolved, data)).accuracy;
  // Attack budgets are pixel levels and corruptions act on RGB pixels: neither means anything for
  // a CSV's standardized features.
  const images = data.pixels instanceof Uint8Array;
  if (!images) notes.push('attacks and corruptions act on image pixels: not assessed on standardized features');
  const epsilons = images ? (options.epsilons ?? DEFAULT_EPSILONS) : [];
  const adversarial = epsilons.length
    ? adversarialAccuracy(model, preprocessing, data, { epsilons, pgdSteps: options.pgdSteps ?? DEFAULT_PGD_STEPS })
    : [];
  const corruptions: CorruptionAccuracy[] = [];
  const names = images ? (options.corruptions ?? CORRUPTION_NAMES) : [];
  if (names.length && data.channels !== 3) notes.push('corruptions need RGB images: not assessed');
  else
    for (const corruption of names)
      for (const severity of options.severities ?? [1, 2, 3, 4, 5]) {
        const corrupted = await corruptData(data, corruption, severity, options.seed ?? 0);
        corruptions.push({
          corruption,
          severity,
          accuracy: (await evaluateModel(model, resolved, corrupted)).accuracy,
        });
      }
  const { measurements, onnxSkipped } =
    options.latency === false ? { measurements: [], onnxSkipped: undefined } : await measureLatency(model);
  if (onnxSkipped) notes.push(`ONNX Runtime latency not measured: ${onnxSkipped}`);
  const engines = [...new Set(measurements.map((m) => m.engine))];
  const energy = engines.flatMap((engine) => {
    const fastest = Math.max(...measurements.filter((m) => m.engine === engine).map((m) => m.imagesPerSecond));
    if (!(fastest > 0 && Number.isFinite(fastest))) return [];
    const assumptions = defaultEnergyAssumptions(engine);
    const { kilowattHours, gramsCo2 } = estimateEnergy(1000 / fastest, assumptions);
    return [{ engine, kilowattHoursPer1000: kilowattHours, gramsCo2Per1000: gramsCo2, assumptions }];
  });
  return {
    examples: data.count,
    clean,
    adversarial,
    corruptions,
    ...(corruptions.length
      ? { meanCorruptionAccuracy: corruptions.reduce((sum, c) => sum + c.accuracy, 0) / corruptions.length }
      : {}),
    latency: measurements,
    energy,
    notes,
  };
}

/** `data` with every image corrupted (one random stream per corruption and severity, from `seed`). */
async function corruptData(
  data: LabeledImages,
  name: CorruptionName,
  severity: number,
  seed: number,
): Promise<LabeledImages> {
  const size = data.height * data.width * data.channels;
  const pixels = new Uint8Array(data.pixels.length);
  if (!(data.pixels instanceof Uint8Array)) throw new Error('corruptData: needs uint8 image pixels');
  const shape = { height: data.height, width: data.width, channels: data.channels };
  const random = seededRandom((seed * 1_000_003 + CORRUPTION_NAMES.indexOf(name) * 101 + severity) >>> 0);
  for (let i = 0; i < data.count; i++)
    pixels.set(
      await corruptImage(data.pixels.subarray(i * size, (i + 1) * size), shape, name, severity, random),
      i * size,
    );
  return { ...data, pixels };
}
