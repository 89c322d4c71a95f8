// Models in the artifact store: saved as a TF.js layers directory (model.json + weights.bin).
import * as path from 'node:path';
import type { tfl } from '@prune/compute';
import type { ArtifactRef, ArtifactStore } from '@prune/store';
import { loadLayersModel, saveLayersModel, type LoadedModel } from './layers-format.js';
import { requirePreprocessing, type ModelMetadata } from './metadata.js';
import { InvalidArgumentError } from '@prune/errors';

export async function putModelArtifact(
  store: ArtifactStore,
  model: tfl.LayersModel,
  metadata: ModelMetadata,
): Promise<ArtifactRef> {
  requirePreprocessing(metadata); // every stored model says how its inputs are normalized
  return store.putDirectory(async (dir) => {
    await saveLayersModel(dir, model, metadata);
  });
}

export async function loadModelArtifact(
  store: ArtifactStore,
  ref: ArtifactRef | undefined,
  field: string,
): Promise<LoadedModel> {
  if (!ref?.uri) throw new InvalidArgumentError(`${field}: a model reference (uri) is required`);
  return loadLayersModel(path.join(store.verifiedDirectory(ref, field), 'model.json'));
}
