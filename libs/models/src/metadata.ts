// What travels with a model besides its layers: how to preprocess inputs and where it came from.
// Saved in model.json's userDefinedMetadata, so every later step normalizes inputs the same way.
import type { Preprocessing } from './preprocessing.js';

export interface ModelMetadata {
  preprocessing: Preprocessing;
  /** Where the weights came from (a path or a parent model's id). */
  source: string;
}

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
  /** Domain code, mapped to gRPC INVALID_ARGUMENT by the services. */
  readonly code = 'INVALID_ARGUMENT';
}
