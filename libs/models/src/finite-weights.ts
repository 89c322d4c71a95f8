// A model with NaN or infinite weights computes garbage that can still look like a result (a
// pruned "success" at chance accuracy): such a model is refused where it enters the system.
import type { tfl } from '@prune/compute';
import { ModelFormatError } from './metadata.js';

/** Throws naming the first layer and weight holding a NaN or infinite value. */
export function assertFiniteWeights(model: tfl.LayersModel, source: string): void {
  for (const layer of model.layers) {
    for (const weight of layer.weights) {
      const values = weight.read().dataSync();
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) {
        throw new ModelFormatError(
          `${source}: layer "${layer.name}" weight ${weight.originalName} holds ${values[bad]} at index ${bad}; a model must have finite weights`,
        );
      }
    }
  }
}
