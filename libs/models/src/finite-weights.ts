// A model with NaN or infinite weights computes garbage that can still look like a result (a
// pruned "success" at chance accuracy): such a model is refused where it enters the system, and
// training that produces one fails (libs/training).
import type { tfl } from '@prune/compute';
import { ModelFormatError } from './metadata.js';

/** Where the first NaN or infinite weight is ('layer "x" weight x/kernel holds NaN at index 3'), or undefined. */
export function firstNonFiniteWeight(model: tfl.LayersModel): string | undefined {
  for (const layer of model.layers) {
    for (const weight of layer.weights) {
      const values = weight.read().dataSync();
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) return `layer "${layer.name}" weight ${weight.originalName} holds ${values[bad]} at index ${bad}`;
    }
  }
  return undefined;
}

/** Throws naming the first layer and weight holding a NaN or infinite value. */
export function assertFiniteWeights(model: tfl.LayersModel, source: string): void {
  const bad = firstNonFiniteWeight(model);
  if (bad) throw new ModelFormatError(`${source}: ${bad}; a model must have finite weights`);
}
