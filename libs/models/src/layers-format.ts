// The TF.js layers format (model.json + one weights file), which is also the format we save in.
// Written atomically: weights first, model.json last, each via temp file + rename, so a
// model.json on disk always refers to complete weights.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf, tfl } from '@prune/compute';
import { writeFileAtomic } from '@prune/store';
import { ModelFormatError, type ModelMetadata } from './metadata.js';
import { assertSupportedLayers } from './supported-layers.js';

export const WEIGHTS_FILE = 'weights.bin';

export interface LoadedModel {
  model: tfl.LayersModel;
  metadata: ModelMetadata;
}

/** Saves `model` with `metadata` as `<dir>/model.json` + `<dir>/weights.bin`. */
export async function saveLayersModel(dir: string, model: tfl.LayersModel, metadata: ModelMetadata): Promise<string> {
  const modelJson = path.join(dir, 'model.json');
  // As JSON (a model without preprocessing has the key unset, which tfjs refuses as undefined).
  model.setUserDefinedMetadata(JSON.parse(JSON.stringify(metadata)) as object);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = artifacts.weightData ? tf.io.CompositeArrayBuffer.join(artifacts.weightData) : new ArrayBuffer(0);
      writeFileAtomic(path.join(dir, WEIGHTS_FILE), new Uint8Array(weights));
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: artifacts.userDefinedMetadata,
      };
      writeFileAtomic(modelJson, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return modelJson;
}

/**
 * The model's topology and weights in memory, the weights as one buffer (structured-cloneable):
 * what a copy of the model in another thread is built from, with `modelFromArtifacts`.
 */
export async function modelArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData
        ? tf.io.CompositeArrayBuffer.join(artifacts.weightData)
        : new ArrayBuffer(0);
      saved = { modelTopology: artifacts.modelTopology, weightSpecs: artifacts.weightSpecs, weightData };
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return saved!;
}

/** The model `modelArtifacts` describes (this project's layer classes are registered with @prune/models). */
export function modelFromArtifacts(artifacts: tf.io.ModelArtifacts): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory(artifacts));
}

/** Loads a model.json written by `saveLayersModel` (or any single-shard TF.js layers model). */
export async function loadLayersModel(modelJsonPath: string): Promise<LoadedModel> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
  } catch (error) {
    throw new ModelFormatError(`${modelJsonPath}: not a readable model.json (${(error as Error).message})`);
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ModelFormatError(`${modelJsonPath}: not a TF.js layers model (needs modelTopology and weightsManifest)`);
  }
  assertSupportedLayers(json.modelTopology as never, modelJsonPath);
  const dir = path.dirname(modelJsonPath);
  const weightSpecs = json.weightsManifest.flatMap((group) => group.weights);
  const buffers = json.weightsManifest.flatMap((group) =>
    group.paths.map((p) => {
      // Weight files sit beside model.json: a path elsewhere ("../../etc/passwd") is never read.
      if (typeof p !== 'string' || p !== path.basename(p) || p === '..' || p === '.') {
        throw new ModelFormatError(
          `${modelJsonPath}: weightsManifest path "${String(p).slice(0, 80)}" must be a file name beside model.json`,
        );
      }
      const file = path.join(dir, p);
      if (!fs.existsSync(file)) throw new ModelFormatError(`${modelJsonPath}: weights file ${p} not found beside it`);
      return fs.readFileSync(file);
    }),
  );
  const weightData = Buffer.concat(buffers);
  const expected = weightSpecs.reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (weightData.byteLength !== expected) {
    throw new ModelFormatError(
      `${modelJsonPath}: weights are ${weightData.byteLength} bytes, the manifest needs ${expected} (truncated or wrong file)`,
    );
  }
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs,
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
      userDefinedMetadata: json.userDefinedMetadata,
    }),
  );
  const stored = json.userDefinedMetadata as unknown as Partial<ModelMetadata> | undefined;
  return { model, metadata: { source: modelJsonPath, ...stored } };
}
