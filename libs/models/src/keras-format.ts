// Keras functional models: a single-file `.h5` written by model.save (architecture in the
// `model_config` attribute, weights in `model_weights`; Keras 2, or Keras 3's legacy format), or
// an architecture JSON with HDF5 weights beside it (a full-model file or a `save_weights` file),
// read with h5wasm.
import * as fs from 'node:fs';
import h5wasm from 'h5wasm/node';
import { tf, tfl } from '@prune/compute';
import { ModelFormatError, type ModelMetadata } from './metadata.js';
import type { LoadedModel } from './layers-format.js';
import { isKeras3Topology, keras2Topology } from './keras3-format.js';
import { functionalFromSequential } from './keras-sequential.js';
import { translateRegularizers } from './keras-regularizers.js';
import { assertSupportedLayers } from './supported-layers.js';

interface H5Group {
  keys(): string[];
  get(name: string): H5Group | H5Dataset | null;
  attrs: Record<string, { value: unknown }>;
}
interface H5Dataset {
  shape: number[];
  value: unknown;
}

const asStrings = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value == null ? [] : [String(value)];

/** Loads `<name>.json` (architecture) with the weights in `h5Path` (default: `<name>.h5`). */
export async function loadKerasModel(
  jsonPath: string,
  h5Path = jsonPath.replace(/\.json$/, '.h5'),
  metadata?: Partial<ModelMetadata>,
): Promise<LoadedModel> {
  let topology: Record<string, unknown>;
  try {
    topology = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new ModelFormatError(`${jsonPath}: not a readable Keras architecture JSON (${(error as Error).message})`);
  }
  return kerasModelFrom(topology, h5Path, jsonPath, metadata);
}

/** Loads a single-file Keras `.h5` (model.save): the architecture from its `model_config` attribute. */
export async function loadKerasH5Model(h5Path: string, metadata?: Partial<ModelMetadata>): Promise<LoadedModel> {
  await h5wasm.ready;
  let config: unknown;
  const file = new h5wasm.File(h5Path, 'r') as unknown as H5Group & { close(): void };
  try {
    config = file.attrs['model_config']?.value;
  } finally {
    file.close();
  }
  if (typeof config !== 'string') {
    const json = h5Path.replace(/\.h5$/, '.json');
    throw new ModelFormatError(
      `${h5Path}: holds weights only (no model_config: written by save_weights); ` +
        (fs.existsSync(json)
          ? `load ${json}, the architecture beside it`
          : 'save the model with model.save(), or give its architecture .json'),
    );
  }
  let topology: Record<string, unknown>;
  try {
    topology = JSON.parse(config) as Record<string, unknown>;
  } catch (error) {
    throw new ModelFormatError(`${h5Path}: model_config is not JSON (${(error as Error).message})`);
  }
  return kerasModelFrom(topology, h5Path, h5Path, metadata);
}

async function kerasModelFrom(
  topology: Record<string, unknown>,
  h5Path: string,
  source: string,
  metadata?: Partial<ModelMetadata>,
): Promise<LoadedModel> {
  // Keras 3 (its legacy .h5 too) writes configurations in a form TF.js does not read: translated.
  const keras3 = isKeras3Topology(topology);
  topology = functionalFromSequential(topology, keras3, source);
  if (keras3) topology = keras2Topology(topology, source);
  assertSupportedLayers(topology as never, source); // before anything else is read: Lambda never loads
  if (!fs.existsSync(h5Path)) throw new ModelFormatError(`${source}: weights file ${h5Path} not found`);
  translateRegularizers(topology);
  const model = (await tfl.models.modelFromJSON({ modelTopology: topology } as never)) as tfl.LayersModel;

  await h5wasm.ready;
  const file = new h5wasm.File(h5Path, 'r') as unknown as H5Group & { close(): void };
  try {
    const root = (file.keys().includes('model_weights') ? file.get('model_weights') : file) as H5Group;
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      const group = root.get(layer.name) as H5Group | null;
      if (!group) throw new ModelFormatError(`${h5Path}: no weights for layer "${layer.name}"`);
      const names = asStrings(group.attrs['weight_names']?.value);
      const values = layer.weights.map((weight) => {
        // tfjs names are "<layer>/kernel"; Keras stores "<layer>/kernel:0".
        const suffix = weight.originalName.slice(weight.originalName.lastIndexOf('/') + 1);
        const stored = names.find((n) => n.replace(/:\d+$/, '').endsWith('/' + suffix));
        if (!stored)
          throw new ModelFormatError(
            `${h5Path}: layer "${layer.name}" has no weight "${suffix}" (found ${names.join(', ') || 'none'})`,
          );
        const dataset = group.get(stored) as H5Dataset | null;
        if (!dataset) throw new ModelFormatError(`${h5Path}: layer "${layer.name}": dataset ${stored} is missing`);
        const expected = weight.shape as number[];
        if (dataset.shape.join('x') !== expected.join('x')) {
          throw new ModelFormatError(
            `${h5Path}: layer "${layer.name}" weight ${suffix} has shape [${dataset.shape}], the architecture needs [${expected}]`,
          );
        }
        return tf.tensor(dataset.value as Float32Array, expected);
      });
      layer.setWeights(values);
      tf.dispose(values);
    }
  } finally {
    file.close();
  }
  return {
    model,
    metadata: {
      // Keras files do not record their preprocessing: the user declares it (never guessed).
      preprocessing: metadata?.preprocessing,
      source: metadata?.source ?? source,
    },
  };
}
