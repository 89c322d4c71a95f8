import * as fs from 'node:fs';
import { loadKerasH5Model, loadKerasModel } from './keras-format.js';
import { loadKeras3Archive } from './keras3-format.js';
import { loadLayersModel, type LoadedModel } from './layers-format.js';
import { ModelFormatError } from './metadata.js';
import type { Preprocessing } from './preprocessing.js';
import { assertFiniteWeights } from './finite-weights.js';
import { loadOnnxModel } from './onnx/onnx-import.js';
import { loadPytorchManifestModel } from './pytorch-manifest.js';
import { NotFoundError } from '@prune/errors';

/**
 * Loads any model we accept, by path: a Keras `.h5` or `.keras` written by model.save, an ONNX
 * `.onnx` (as PyTorch exports it), a TF.js `model.json`,
 * a Keras architecture `.json` (with its `.h5` beside it), or a shared PyTorch `.manifest.json`
 * (with its `.weights.bin`). A declared
 * `preprocessing` replaces what the file says; without either, the model has none (inspection
 * works; storing it for training asks for it).
 */
export async function loadModel(file: string, options: { preprocessing?: Preprocessing } = {}): Promise<LoadedModel> {
  const loaded = await loadByFormat(file);
  if (options.preprocessing) loaded.metadata = { ...loaded.metadata, preprocessing: options.preprocessing };
  try {
    assertFiniteWeights(loaded.model, file);
  } catch (error) {
    loaded.model.dispose();
    throw error;
  }
  return loaded;
}

/** Larger files are refused before they are read: no model we load needs more. */
const MAX_JSON_BYTES = 64 * 2 ** 20; // an architecture or manifest (ResNet-56's is 0.2 MB)
const MAX_H5_BYTES = 4 * 2 ** 30;
const MAX_ARCHIVE_BYTES = 2 ** 31 - 1; // a .keras archive or .onnx is read into memory whole (protobuf's limit too)

async function loadByFormat(file: string): Promise<LoadedModel> {
  if (!fs.existsSync(file)) throw new NotFoundError(`model not found: ${file}`);
  const bytes = fs.statSync(file).size;
  const limit = file.endsWith('.h5')
    ? MAX_H5_BYTES
    : file.endsWith('.keras') || file.endsWith('.onnx')
      ? MAX_ARCHIVE_BYTES
      : MAX_JSON_BYTES;
  if (bytes > limit)
    throw new ModelFormatError(
      `${file}: ${(bytes / 2 ** 20).toFixed(0)} MiB, more than the ${limit / 2 ** 20} MiB a model file of this kind may have; is it the right file?`,
    );
  if (file.endsWith('.manifest.json')) return loadPytorchManifestModel(file);
  if (file.endsWith('.h5')) return loadKerasH5Model(file);
  if (file.endsWith('.keras')) return loadKeras3Archive(file);
  if (file.endsWith('.onnx')) return loadOnnxModel(file);
  if (!file.endsWith('.json'))
    throw new ModelFormatError(
      `${file}: expected a Keras .keras or .h5 (model.save), an ONNX .onnx, a TF.js model.json, a Keras architecture .json or a .manifest.json`,
    );
  const head = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  if ('modelTopology' in head) return loadLayersModel(file);
  if ('class_name' in head && 'config' in head) return loadKerasModel(file);
  throw new ModelFormatError(
    `${file}: neither a TF.js model.json (modelTopology) nor a Keras architecture (class_name, config)`,
  );
}
