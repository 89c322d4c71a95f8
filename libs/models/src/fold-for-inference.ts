// An inference-only copy of a model with batch normalization folded into the convolution before it
// (new kernel and bias) and a ReLU after it made that convolution's activation. The batch norm's
// pass over the activations is gone and two layers of TF.js bookkeeping with it: ResNet-56 at batch
// 64 predicts 19-32% faster on native TensorFlow (`npm run bench`, README). Same outputs up to float
// round-off. Used where a model only predicts (evaluation, representation extraction, the
// benchmark's inference); training keeps the model as it is.
import { tf, tfl } from '@prune/compute';
import { batchNormParameters } from './layer-rules/batch-normalization.js';

/** A layer entry of `LayersModel.getConfig()` (TF.js field names). */
interface LayerEntry {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inboundNodes: [string, number, number, Record<string, unknown>][][];
}

interface ContainerConfig {
  layers: LayerEntry[];
  outputLayers: [string, number, number][];
  [key: string]: unknown;
}

/** A convolution and the layers folded into it. */
interface Fold {
  conv: LayerEntry;
  batchNorm?: LayerEntry;
  relu?: LayerEntry;
}

const isLastAxis = (axis: unknown): boolean =>
  axis === -1 || axis === 3 || (Array.isArray(axis) && axis.length === 1 && isLastAxis(axis[0]));

function findFolds(config: ContainerConfig): Fold[] {
  const byName = new Map(config.layers.map((layer) => [layer.name, layer]));
  const consumers = new Map<string, string[]>();
  for (const layer of config.layers) {
    for (const node of layer.inboundNodes) {
      for (const [input] of node) consumers.set(input, [...(consumers.get(input) ?? []), layer.name]);
    }
  }
  const outputs = new Set(config.outputLayers.map(([name]) => name));
  // The one layer reading `name`'s output, when nothing else (another layer, the model's output) does.
  const soleConsumer = (name: string): LayerEntry | undefined => {
    const readers = consumers.get(name) ?? [];
    const reader = readers.length === 1 && !outputs.has(name) ? byName.get(readers[0]!) : undefined;
    return reader && reader.inboundNodes.length === 1 && reader.inboundNodes[0]!.length === 1 ? reader : undefined;
  };
  const folds: Fold[] = [];
  for (const conv of config.layers) {
    const c = conv.config;
    if (conv.className !== 'Conv2D' || c['activation'] !== 'linear' || c['dataFormat'] !== 'channelsLast') continue;
    if (conv.inboundNodes.length !== 1) continue; // a shared layer: one set of weights, several calls
    const fold: Fold = { conv };
    let next = soleConsumer(conv.name);
    if (next?.className === 'BatchNormalization' && isLastAxis(next.config['axis'])) {
      fold.batchNorm = next;
      next = soleConsumer(next.name);
    }
    if (next?.className === 'Activation' && next.config['activation'] === 'relu') fold.relu = next;
    if (fold.batchNorm || fold.relu) folds.push(fold);
  }
  return folds;
}

/** The convolution's kernel and bias with `batchNorm`'s affine map applied after it. */
function foldedWeights(model: tfl.LayersModel, fold: Fold): tf.Tensor[] {
  const [kernel, bias] = model.getLayer(fold.conv.name).getWeights();
  // getWeights() gives the variables' own tensors: what is returned is disposed after use.
  if (!fold.batchNorm) return [kernel!.clone(), bias ? bias.clone() : tf.zeros([kernel!.shape[3]!])];
  const bn = fold.batchNorm;
  return tf.tidy(() => {
    const { gamma, beta, mean, variance } = batchNormParameters(model.getLayer(bn.name), bn.config);
    const scale = tf.div(gamma, tf.sqrt(tf.add(variance, Number(bn.config['epsilon']))));
    const shifted = bias ? tf.sub(bias, mean) : tf.neg(mean);
    return [tf.mul(kernel!, scale), tf.add(tf.mul(shifted, scale), beta)];
  });
}

/**
 * `model` with each Conv2D's following BatchNormalization and ReLU Activation folded into it, where
 * the convolution's output goes only to them; `model` itself when there is nothing to fold. A new
 * model is the caller's to dispose.
 */
export function foldForInference(model: tfl.LayersModel): tfl.LayersModel {
  // A Sequential model's config has no graph; the same layers as a functional model have one.
  const functional =
    model instanceof tfl.Sequential ? tfl.model({ inputs: model.inputs, outputs: model.outputs }) : model;
  const config = functional.getConfig() as unknown as ContainerConfig;
  const folds = findFolds(config);
  if (!folds.length) return model;
  const absorbedBy = new Map<string, string>();
  for (const { conv, batchNorm, relu } of folds) {
    // Constraints run on every weight write: they would clip the folded kernel and bias.
    conv.config = {
      ...conv.config,
      useBias: true,
      activation: relu ? 'relu' : 'linear',
      kernelConstraint: null,
      biasConstraint: null,
    };
    for (const layer of [batchNorm, relu]) if (layer) absorbedBy.set(layer.name, conv.name);
  }
  const rename = (name: string) => absorbedBy.get(name) ?? name;
  config.layers = config.layers
    .filter((layer) => !absorbedBy.has(layer.name))
    .map((layer) => ({
      ...layer,
      inboundNodes: layer.inboundNodes.map((node) => node.map(([name, ...rest]) => [rename(name), ...rest])),
    })) as LayerEntry[];
  config.outputLayers = config.outputLayers.map(([name, ...rest]) => [rename(name), ...rest]);
  const folded = tfl.LayersModel.fromConfig(
    tfl.LayersModel,
    config as unknown as tf.serialization.ConfigDict,
    {},
    true,
  ) as tfl.LayersModel;
  const foldOf = new Map(folds.map((fold) => [fold.conv.name, fold]));
  try {
    for (const layer of folded.layers) {
      if (!layer.weights.length) continue;
      const fold = foldOf.get(layer.name);
      const weights = fold ? foldedWeights(model, fold) : model.getLayer(layer.name).getWeights();
      layer.setWeights(weights);
      if (fold) tf.dispose(weights);
    }
  } catch (error) {
    folded.dispose();
    throw error;
  }
  return folded;
}

/** `use(foldForInference(model))`, disposing the folded copy afterwards. */
export function withFoldedModel<T>(model: tfl.LayersModel, use: (inference: tfl.LayersModel) => T): T {
  const inference = foldForInference(model);
  try {
    return use(inference);
  } finally {
    if (inference !== model) inference.dispose();
  }
}
