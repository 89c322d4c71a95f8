// Writes a model as a Keras 3 `.keras` archive (what keras.saving.load_model reads): config.json
// in Keras 3's functional form, model.weights.h5 with each layer's variables under
// layers/<snake-case class>[_n]/vars/<i>, and metadata.json. Only layers Keras itself has can
// go (a model with this project's own layers, e.g. OptionAShortcut, is refused by name).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import h5wasm from 'h5wasm/node';
import type { tfl } from '@prune/compute';
import { InvalidArgumentError } from '@prune/errors';
import { kerasVariablePaths } from './keras3-format.js';

type Json = Record<string, unknown>;

const KERAS_LAYERS = new Set([
  'InputLayer',
  'Conv2D',
  'DepthwiseConv2D',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'Add',
  'ZeroPadding2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'Dropout',
]);

/** A stored zip (no compression) of `entries`. */
function zip(entries: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of entries) {
    const fileName = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += 30 + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A Keras 2 style serialized object ({class_name, config}) in Keras 3's form. */
function keras3Value(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => keras3Value(v));
  if (value === null || typeof value !== 'object') return value;
  const node = value as Json;
  if ('class_name' in node && 'config' in node && Object.keys(node).length === 2) {
    const module = key.endsWith('initializer')
      ? 'keras.initializers'
      : key.endsWith('regularizer')
        ? 'keras.regularizers'
        : 'keras.constraints';
    return { module, class_name: node['class_name'], config: keras3Value(node['config']), registered_name: null };
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, keras3Value(v, k)]));
}

/** The model's configuration in Keras 3's functional form. */
function keras3Config(model: tfl.LayersModel): Json {
  const topology = model.toJSON(null, false) as unknown as Json;
  const config = topology['config'] as Json;
  const shapes = new Map(model.layers.map((l) => [l.name, l.outputShape as (number | null)[]]));
  const tensor = ([name, node, index]: unknown[]) => ({
    class_name: '__keras_tensor__',
    config: { shape: shapes.get(name as string), dtype: 'float32', keras_history: [name, node, index] },
  });
  const layers = (config['layers'] as Json[]).map((layer) => {
    const className = layer['class_name'] as string;
    if (!KERAS_LAYERS.has(className))
      throw new InvalidArgumentError(
        `layer "${String(layer['name'])}" is a ${className}, this project's own layer, which the Keras writer has no Keras form for: this model cannot be written for Keras (.keras, .h5); save it as TF.js (a folder)`,
      );
    const layerConfig = keras3Value(layer['config']) as Json;
    // Keras 2 (and TF.js) write a list of axes; Keras 3's BatchNormalization takes one.
    if (className === 'BatchNormalization' && Array.isArray(layerConfig['axis']))
      layerConfig['axis'] = layerConfig['axis'][0];
    if (className === 'InputLayer') {
      layerConfig['batch_shape'] = layerConfig['batch_input_shape'];
      delete layerConfig['batch_input_shape'];
    }
    const inbound = (layer['inbound_nodes'] as unknown[][][]).map((node) => ({
      args: [node.length === 1 && className !== 'Add' ? tensor(node[0]!) : node.map(tensor)],
      kwargs: {},
    }));
    return {
      module: 'keras.layers',
      class_name: className,
      config: layerConfig,
      registered_name: null,
      name: layer['name'],
      inbound_nodes: inbound,
    };
  });
  const single = (refs: unknown[][]) => (refs.length === 1 ? refs[0] : refs);
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    config: {
      name: config['name'],
      trainable: true,
      layers,
      input_layers: single(config['input_layers'] as unknown[][]),
      output_layers: single(config['output_layers'] as unknown[][]),
    },
    registered_name: 'Functional',
  };
}

interface H5Group {
  create_group(name: string): unknown;
  create_attribute(name: string, data: string | string[]): void;
  get(name: string): H5Group;
  create_dataset(o: { name: string; data: Float32Array; shape: number[]; dtype: string }): unknown;
}

/** Writes an HDF5 file with h5wasm: `fill` gets its root group. */
async function writeH5(file: string, fill: (root: H5Group) => void): Promise<void> {
  await h5wasm.ready;
  const h5 = new h5wasm.File(file, 'w') as unknown as H5Group & { close(): void };
  try {
    fill(h5);
  } finally {
    h5.close();
  }
}

/** The variable's values (its own tensor: not disposed). */
const float32 = (weight: tfl.LayerVariable) => ({
  data: weight.read().dataSync() as Float32Array,
  shape: weight.shape as number[],
  dtype: '<f4',
});

/** The Keras release whose formats these follow and which the tests load them with. */
const KERAS_VERSION = '3.15.1';

/** Writes `model` to `file` as a Keras 3 `.keras` archive. */
export async function saveKeras3Archive(model: tfl.LayersModel, file: string): Promise<void> {
  const config = keras3Config(model);
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'keras3-export-'));
  try {
    const weightsFile = path.join(temp, 'model.weights.h5');
    await writeH5(weightsFile, (h5) => {
      h5.create_group('layers');
      for (const { layer, path: group } of kerasVariablePaths(model)) {
        h5.create_group(group);
        h5.create_group(`${group}/vars`);
        layer.weights.forEach((weight, i) =>
          h5.get(`${group}/vars`).create_dataset({ name: String(i), ...float32(weight) }),
        );
      }
    });
    const metadata = {
      keras_version: KERAS_VERSION,
      date_saved: new Date().toISOString().slice(0, 16).replace('T', '@'),
    };
    fs.writeFileSync(
      file,
      zip([
        ['metadata.json', Buffer.from(JSON.stringify(metadata))],
        ['config.json', Buffer.from(JSON.stringify(config))],
        ['model.weights.h5', fs.readFileSync(weightsFile)],
      ]),
    );
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * Writes `model` to `file` as Keras 3's single-file `.h5` (its legacy format, what
 * `model.save("x.h5")` writes): the configuration in the root's `model_config`, each layer's
 * variables under model_weights/<layer>/<layer>/<variable>, listed in the order Keras loads them.
 */
export async function saveKeras3H5(model: tfl.LayersModel, file: string): Promise<void> {
  const config = JSON.stringify(keras3Config(model));
  // Written beside the target and renamed: a reader never sees half a file.
  const temp = `${file}.tmp-${process.pid}`;
  try {
    await writeH5(temp, (h5) => {
      h5.create_attribute('backend', 'tensorflow');
      h5.create_attribute('keras_version', KERAS_VERSION);
      h5.create_attribute('model_config', config);
      h5.create_group('model_weights');
      const weights = h5.get('model_weights');
      weights.create_attribute('backend', 'tensorflow');
      weights.create_attribute('keras_version', KERAS_VERSION);
      weights.create_attribute(
        'layer_names',
        model.layers.map((l) => l.name),
      );
      for (const layer of model.layers) {
        weights.create_group(layer.name);
        if (layer.weights.length === 0) continue; // an absent weight_names is an empty list to Keras
        const variables = layer.weights.map((w) => `${layer.name}/${w.originalName.split('/').pop()}`);
        const group = weights.get(layer.name);
        group.create_attribute('weight_names', variables);
        group.create_group(layer.name);
        layer.weights.forEach((weight, i) =>
          group.get(layer.name).create_dataset({ name: variables[i]!.split('/').pop()!, ...float32(weight) }),
        );
      }
    });
    fs.renameSync(temp, file);
  } finally {
    fs.rmSync(temp, { force: true });
  }
}
