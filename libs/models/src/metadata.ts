// What travels with a model besides its layers: how to preprocess inputs and where it came from.
// Saved in model.json's userDefinedMetadata, so every later step normalizes inputs the same way.
import type { Preprocessing } from './preprocessing.js';
import { InvalidArgumentError } from '@prune/errors';

export interface ModelMetadata {
  preprocessing: Preprocessing;
  /** Where the weights came from (a path or a parent model's id). */
  source: string;
}

export class ModelFormatError extends InvalidArgumentError {
  override name = 'ModelFormatError';
}
