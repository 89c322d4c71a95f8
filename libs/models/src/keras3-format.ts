// Keras 3 `.keras` archives (what model.save("m.keras") writes): a zip of config.json, Keras 3's
// functional configuration, and model.weights.h5, each layer's variables under
// layers/<name>/vars/<i>, where <name> is the layer's class in snake case, numbered per class in
// the order of the model's layers. The configuration is translated to the Keras 2 form TF.js
// reads (the one the rest of the loaders share), then the variables are set in order.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inflateRawSync } from 'node:zlib';
import h5wasm from 'h5wasm/node';
import { tf, tfl } from '@prune/compute';
import { ModelFormatError, type ModelMetadata } from './metadata.js';
import type { LoadedModel } from './layers-format.js';
import { translateRegularizers } from './keras-regularizers.js';
import { assertSupportedLayers } from './supported-layers.js';
import { functionalFromSequential } from './keras-sequential.js';

type Json = Record<string, unknown>;

/** The entries of a zip archive (stored or deflated), by name; a damaged archive is a ModelFormatError. */
function unzip(file: string): Map<string, Buffer> {
  try {
    return readZip(file);
  } catch (error) {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(`${file}: not a readable .keras archive (${(error as Error).message}); truncated?`);
  }
}

function readZip(file: string): Map<string, Buffer> {
  const zip = fs.readFileSync(file);
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new ModelFormatError(`${file}: not a .keras archive (no zip directory)`);
  const entries = new Map<string, Buffer>();
  let at = zip.readUInt32LE(end + 16);
  for (let i = 0; i < zip.readUInt16LE(end + 10); i++) {
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = zip.readUInt32LE(at + 42);
    const data = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(data, data + size);
    if (method !== 0 && method !== 8) throw new ModelFormatError(`${file}: ${name} uses zip method ${method}`);
    entries.set(name, method === 8 ? inflateRawSync(raw) : raw);
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return entries;
}

/** Keras 3 serialized objects ({module, class_name, config, registered_name}) in Keras 2's form. */
function keras2Value(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(keras2Value);
  if (value === null || typeof value !== 'object') return value;
  const node = value as Json;
  if (node['class_name'] === 'DTypePolicy') return (node['config'] as Json)['name'];
  if ('module' in node && 'class_name' in node)
    return { class_name: node['class_name'], config: keras2Value(node['config'] ?? {}) };
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => !['registered_name', 'shared_object_id'].includes(key))
      .map(([key, v]) => [key, keras2Value(v)]),
  );
}

/** A tensor reference of Keras 3 (keras_history) as Keras 2's [layer, node, index, kwargs]. */
const history = (tensor: Json) => [...((tensor['config'] as Json)['keras_history'] as unknown[]), {}];

/**
 * Whether a configuration is Keras 3's: its tensors are keras_history objects (not lists), or (a
 * Sequential model has no tensors) its dtypes are DTypePolicy objects, its input shapes batch_shape.
 */
export function isKeras3Topology(topology: Json): boolean {
  const layers = ((topology['config'] as Json | undefined)?.['layers'] ?? []) as Json[];
  return layers.some((layer) => {
    const config = (layer['config'] ?? {}) as Json;
    return (
      'module' in layer ||
      ((layer['inbound_nodes'] as unknown[] | undefined) ?? []).some((node) => !Array.isArray(node)) ||
      (typeof config['dtype'] === 'object' && config['dtype'] !== null) ||
      'batch_shape' in config
    );
  });
}

/** Keras 3's functional configuration in the Keras 2 form TF.js deserializes. */
export function keras2Topology(keras3: Json, source = 'the model'): Json {
  const config = keras3['config'] as Json;
  if (keras3['class_name'] !== 'Functional' || !Array.isArray(config?.['layers']))
    throw new ModelFormatError(
      `${source}: a ${String(keras3['class_name'])} model; only functional and Sequential models load`,
    );
  const nested = (refs: unknown) => (Array.isArray((refs as unknown[])[0]) ? refs : [refs]);
  const layers = (config['layers'] as Json[]).map((layer) => {
    const layerConfig = keras2Value(layer['config']) as Json;
    if (layer['class_name'] === 'InputLayer') {
      layerConfig['batch_input_shape'] = layerConfig['batch_shape'];
      for (const key of ['batch_shape', 'optional', 'ragged']) delete layerConfig[key];
    }
    const nodes = layer['inbound_nodes'] as { args: unknown[]; kwargs?: Json }[];
    if (layer['class_name'] === 'MultiHeadAttention') return selfAttention(layer, layerConfig, nodes, source);
    const inbound = nodes.map((node) => {
      const first = node.args[0];
      return (Array.isArray(first) ? first : [first]).map((tensor) => history(tensor as Json));
    });
    return { class_name: layer['class_name'], name: layer['name'], config: layerConfig, inbound_nodes: inbound };
  });
  return {
    class_name: 'Functional',
    config: {
      name: config['name'],
      layers,
      input_layers: nested(config['input_layers']),
      output_layers: nested(config['output_layers']),
    },
  };
}

/**
 * Keras's MultiHeadAttention called as self-attention over a sequence (query, value and key the
 * same tensor, no mask) is our MultiHeadSelfAttention with the same weights; other uses are refused.
 */
function selfAttention(layer: Json, config: Json, nodes: { args: unknown[]; kwargs?: Json }[], source: string): Json {
  const name = String(layer['name']);
  const refuse = (why: string) => {
    throw new ModelFormatError(
      `${source}: MultiHeadAttention "${name}" ${why}; only self-attention over a sequence loads`,
    );
  };
  if (nodes.length !== 1) refuse(`is called ${nodes.length} times`);
  const { args, kwargs = {} } = nodes[0]!;
  // call(query, value, key=None, ...): each positionally or by keyword; key defaults to value.
  const [query, value = kwargs['value']] = [args[0] ?? kwargs['query'], args[1]];
  const key = args[2] ?? kwargs['key'] ?? value;
  const historyOf = (t: unknown) => JSON.stringify(((t as Json | undefined)?.['config'] as Json)?.['keras_history']);
  if (!query || !value) refuse('is called without a query and a value');
  if (new Set([query, value, key].map(historyOf)).size !== 1)
    refuse('attends from one tensor to another (query, value or key differ)');
  for (const name of ['attention_mask', 'query_mask', 'value_mask', 'key_mask'])
    if (kwargs[name] != null) refuse(`is given ${name}`);
  if (kwargs['use_causal_mask']) refuse('uses a causal mask');
  if (kwargs['return_attention_scores']) refuse('returns its attention scores');
  if (config['output_shape'] != null) refuse('sets output_shape');
  if (config['use_gate']) refuse('uses a gate');
  if (config['sliding_window'] != null) refuse('uses a sliding window');
  const axes = config['attention_axes'];
  if (axes != null && JSON.stringify(axes) !== '[1]') refuse(`attends over axes ${JSON.stringify(axes)}`);
  return {
    class_name: 'MultiHeadSelfAttention',
    name,
    config: {
      name,
      trainable: config['trainable'] ?? true,
      num_heads: config['num_heads'],
      key_dim: config['key_dim'],
      value_dim: config['value_dim'] ?? config['key_dim'],
      use_bias: config['use_bias'] ?? true,
    },
    inbound_nodes: [[history(query as Json)]],
  };
}

/**
 * Our layers that are a Keras class under another name: that class, and where Keras keeps each of
 * their weights (getWeights() order) under the layer's group.
 */
const KERAS_EQUIVALENTS: Record<string, { kerasClass: string; variables(layer: tfl.layers.Layer): string[] }> = {
  MultiHeadSelfAttention: {
    kerasClass: 'MultiHeadAttention',
    variables: (layer) => {
      const dense = ['query_dense', 'key_dense', 'value_dense', 'output_dense'];
      const biases = layer.weights.length > dense.length ? dense.map((d) => `${d}/vars/1`) : [];
      return [...dense.map((d) => `${d}/vars/0`), ...biases];
    },
  },
};

/** Keras' own snake case of a class name (naming.to_snake_case). */
const snakeCase = (name: string) =>
  name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();

/**
 * Where Keras 3 keeps each layer's variables in model.weights.h5: layers/<snake-case class>, numbered
 * _1, _2, ... per class in the order of the model's layers (its saving_lib's naming), each variable
 * at vars/<i> (a layer made of sublayers: see KERAS_EQUIVALENTS). Layers with variables only.
 */
export function kerasVariablePaths(
  model: tfl.LayersModel,
): { layer: tfl.layers.Layer; path: string; variables: string[] }[] {
  const used = new Map<string, number>();
  const paths: { layer: tfl.layers.Layer; path: string; variables: string[] }[] = [];
  for (const layer of model.layers) {
    const equivalent = KERAS_EQUIVALENTS[layer.getClassName()];
    const base = snakeCase(equivalent?.kerasClass ?? layer.getClassName());
    const seen = used.get(base);
    used.set(base, seen === undefined ? 0 : seen + 1);
    const group = `layers/${seen === undefined ? base : `${base}_${seen + 1}`}`;
    const variables = equivalent?.variables(layer) ?? layer.weights.map((_, i) => `vars/${i}`);
    if (layer.weights.length > 0) paths.push({ layer, path: group, variables: variables.map((v) => `${group}/${v}`) });
  }
  return paths;
}

interface H5Node {
  get(name: string): (H5Node & { shape: number[]; value: unknown }) | null;
}

export async function loadKeras3Archive(file: string, metadata?: Partial<ModelMetadata>): Promise<LoadedModel> {
  const entries = unzip(file);
  const configJson = entries.get('config.json');
  const weights = entries.get('model.weights.h5');
  if (!configJson || !weights)
    throw new ModelFormatError(`${file}: a .keras archive needs config.json and model.weights.h5`);
  let keras3: Json;
  try {
    keras3 = JSON.parse(configJson.toString('utf8')) as Json;
  } catch (error) {
    throw new ModelFormatError(`${file}: config.json is not JSON (${(error as Error).message})`);
  }
  const topology = keras2Topology(functionalFromSequential(keras3, true, file), file);
  assertSupportedLayers(topology as never, file);
  translateRegularizers(topology);
  const model = (await tfl.models.modelFromJSON({ modelTopology: topology } as never)) as tfl.LayersModel;
  await h5wasm.ready;
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'keras3-'));
  const weightsFile = path.join(temp, 'model.weights.h5');
  let h5: (H5Node & { close(): void }) | undefined;
  try {
    fs.writeFileSync(weightsFile, weights);
    h5 = new h5wasm.File(weightsFile, 'r') as unknown as H5Node & { close(): void };
    for (const { layer, path: group, variables } of kerasVariablePaths(model)) {
      const values: tf.Tensor[] = [];
      try {
        layer.weights.forEach((weight, i) => {
          const dataset = h5!.get(variables[i]!);
          const expected = weight.shape as number[];
          if (!dataset) throw new ModelFormatError(`${file}: layer "${layer.name}" (${group}) has no variable ${i}`);
          if (dataset.shape.join('x') !== expected.join('x'))
            throw new ModelFormatError(
              `${file}: layer "${layer.name}" variable ${i} has shape [${dataset.shape}], the architecture needs [${expected}]`,
            );
          values.push(tf.tensor(dataset.value as Float32Array, expected));
        });
        layer.setWeights(values);
      } finally {
        tf.dispose(values);
      }
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    h5?.close();
    fs.rmSync(temp, { recursive: true, force: true });
  }
  // .keras archives do not record the preprocessing: the user declares it (never guessed).
  return { model, metadata: { preprocessing: metadata?.preprocessing, source: metadata?.source ?? file } };
}
