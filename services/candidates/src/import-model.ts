// ImportModel's work: a store:// reference is checked to hold a saved model; a path must lie under
// one of the model roots (so a client cannot make the service read any file it can), and is
// loaded (layer classes are allow-listed, no code from the file runs) and saved into the store.
// With a dataset named, the model must fit it: its input shape and classes are the dataset's.
// A declared preprocessing replaces the file's and is stored with the model; a model that ends up
// with none is refused with the error that shows how to declare it. An ONNX model without batch
// norm (exporters fold it into the convolutions) gets it back, set on the dataset's images.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetInfo, fileUnderRoots, openDatasetSample } from '@prune/data';
import {
  assertPreprocessingChannels,
  hasFoldedBatchNorm,
  loadModel,
  loadModelArtifact,
  parsePreprocessing,
  preprocessImages,
  putModelArtifact,
  restoreBatchNorm,
  type LoadedModel,
} from '@prune/models';
import { resolvePreprocessing } from '@prune/training';
import { invalidArgument } from '@prune/service-kit';
import type { ArtifactRef, ArtifactStore } from '@prune/store';

const CALIBRATION_IMAGES = 256;

export async function importModel(
  store: ArtifactStore,
  modelRoots: string[],
  uri: string,
  dataset = '',
  preprocessingSpec = '',
): Promise<ArtifactRef> {
  if (!uri) throw invalidArgument('uri', 'a model is required (a store:// URI or the path of a model file)');
  const preprocessing = preprocessingSpec ? parsePreprocessing(preprocessingSpec, 'preprocessing') : undefined;
  if (uri.startsWith('store://')) {
    const dir = store.resolve(uri, 'uri');
    if (!fs.existsSync(path.join(dir, 'model.json'))) throw invalidArgument('uri', `${uri} is not a stored model`);
    if (!dataset && !preprocessing) return { uri, sha256: uri.slice(-64) };
    const loaded = await loadModelArtifact(store, { uri, sha256: '' }, 'uri');
    if (!preprocessing) {
      try {
        assertFitsDataset(loaded, dataset);
      } finally {
        loaded.model.dispose();
      }
      return { uri, sha256: uri.slice(-64) };
    }
    return storeFitting({ ...loaded, metadata: { ...loaded.metadata, preprocessing } }, store, dataset);
  }
  const real = fileUnderRoots(
    uri.replace(/^file:\/\//, ''),
    modelRoots,
    'uri',
    `is outside the model roots (${modelRoots.join(', ')}); set PRUNE_MODEL_ROOTS of the candidates service or pass a store:// URI`,
  );
  return storeFitting(await loadModel(real, { preprocessing }), store, dataset);
}

/**
 * Stores a loaded model once it fits the dataset (and disposes of it); the batch norms an ONNX
 * exporter folded away are put back first, so that the model fine-tunes like the network it was.
 */
async function storeFitting(loaded: LoadedModel, store: ArtifactStore, dataset: string): Promise<ArtifactRef> {
  let model = loaded.model;
  try {
    assertFitsDataset(loaded, dataset);
    if (
      dataset &&
      loaded.metadata.preprocessing &&
      loaded.metadata.source.endsWith('.onnx') &&
      hasFoldedBatchNorm(model)
    )
      model = await withBatchNorm(loaded, dataset);
    return await putModelArtifact(store, model, loaded.metadata);
  } finally {
    if (model !== loaded.model) model.dispose();
    loaded.model.dispose();
  }
}

/** Batch norms set from the convolutions' outputs on 256 training images of the dataset. */
async function withBatchNorm({ model, metadata }: LoadedModel, dataset: string) {
  const data = await openDatasetSample(`${dataset}:train`, CALIBRATION_IMAGES, 0);
  const preprocessing = await resolvePreprocessing(metadata);
  const x = preprocessImages(data.pixels, [data.count, data.height, data.width, data.channels], preprocessing);
  try {
    return await restoreBatchNorm(model, x);
  } finally {
    x.dispose();
  }
}

/**
 * The model takes the dataset's images and predicts its classes, and its preprocessing has one
 * or one-per-channel mean and std; else INVALID_ARGUMENT naming both.
 */
function assertFitsDataset({ model, metadata }: LoadedModel, dataset: string): void {
  const info = dataset ? datasetInfo(dataset) : undefined;
  if (!info) return; // an unknown family is refused where the run's dataset is checked
  const input = (model.inputs[0]!.shape as (number | null)[]).slice(1);
  const classes = (model.outputs[0]!.shape as (number | null)[]).at(-1);
  if (input.join('x') !== info.imageShape.join('x') || classes !== info.classes) {
    throw invalidArgument(
      'uri',
      `the model takes ${input.join('x')} images and predicts ${classes} classes, but dataset "${dataset}" has ` +
        `${info.imageShape.join('x')} images in ${info.classes} classes: choose a model trained on it`,
    );
  }
  assertPreprocessingChannels(metadata.preprocessing, info.imageShape[2]!, `dataset "${dataset}"`);
}
