// What travels with a model besides its layers: how to preprocess inputs and where it came from.
// Saved in model.json's userDefinedMetadata, so every later step normalizes inputs the same way.
import { MissingPreprocessingError, type Preprocessing } from './preprocessing.js';
import { InvalidArgumentError } from '@prune/errors';

export interface ModelMetadata {
  /**
   * Declared by the user or stored with the model; never guessed. A model file may lack it (it
   * can still be inspected); a model in the store always has it (putModelArtifact checks).
   */
  preprocessing?: Preprocessing;
  /** Where the weights came from (a path or a parent model's id). */
  source: string;
}

export class ModelFormatError extends InvalidArgumentError {
  override name = 'ModelFormatError';
}

/** The model's preprocessing, or the error that says how to declare it (naming `model`). */
export function requirePreprocessing(metadata: ModelMetadata, model = metadata.source): Preprocessing {
  if (!metadata.preprocessing) throw new MissingPreprocessingError(model);
  return metadata.preprocessing;
}
