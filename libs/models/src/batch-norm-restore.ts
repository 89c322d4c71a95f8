// Exporters fold batch normalization into the convolutions before it (inference is the same, one
// layer less). A network without its normalization fine-tunes badly: the ResNet-20 PyTorch
// exported to ONNX diverges within 3 steps at the learning rate its original trains at. This puts
// a BatchNormalization back after every biased convolution, set from the convolution's output
// statistics on real images (gamma = std, beta = mean, moving mean and variance the same), so it
// computes exactly the same function at inference and almost the same in training mode, where the
// batch statistics stand in for the moving ones.
import { tf, tfl } from '@prune/compute';
import { LayerGraph } from './layer-graph.js';
import { rewireModel } from './surgery.js';

const EPSILON = 1e-5;

/** Whether `model` has convolutions but no batch normalization at all (as exporters leave it). */
export function hasFoldedBatchNorm(model: tfl.LayersModel): boolean {
  const classes = model.layers.map((l) => l.getClassName());
  return classes.includes('Conv2D') && !classes.includes('BatchNormalization');
}

/**
 * A copy of `model` with a batch normalization after each convolution that has a bias, set from
 * the convolution's outputs on `images` (preprocessed, NHWC). The model itself is not changed.
 */
export async function restoreBatchNorm(model: tfl.LayersModel, images: tf.Tensor4D): Promise<tfl.LayersModel> {
  const graph = LayerGraph.of(model);
  const convs = model.layers
    .filter((l) => l.getClassName() === 'Conv2D' && l.getConfig()['useBias'])
    .map((l) => l.name);
  const statistics = convOutputStatistics(model, convs, images);
  const renamed = new Map(convs.map((name) => [name, `${name}.bn`]));
  const restored = await rewireModel(model, graph, {
    rename: (name) => renamed.get(name) ?? name,
    insertAfter: (layer) => {
      const name = renamed.get(layer.name);
      if (!name) return [];
      const config = { name, axis: -1, epsilon: EPSILON, momentum: 0.9 };
      return [{ name, class_name: 'BatchNormalization', config, inbound_nodes: [[[layer.name, 0, 0, {}]]] }];
    },
  });
  for (const [conv, { mean, variance }] of statistics) {
    const values = tf.tidy(() => [tf.sqrt(tf.add(variance, EPSILON)), mean, mean, variance]);
    restored.getLayer(renamed.get(conv)!).setWeights(values);
    tf.dispose([...values, mean, variance]);
  }
  return restored;
}

/** Per-channel mean and variance of each convolution's output over `images` (N, H and W). */
function convOutputStatistics(model: tfl.LayersModel, convs: string[], images: tf.Tensor4D) {
  const outputs = convs.map((name) => model.getLayer(name).output as tfl.SymbolicTensor);
  const probe = tfl.model({ inputs: model.inputs, outputs });
  const statistics = new Map<string, { mean: tf.Tensor1D; variance: tf.Tensor1D }>();
  tf.tidy(() => {
    const results = probe.predict(images, { batchSize: 64 });
    (Array.isArray(results) ? results : [results]).forEach((y, i) => {
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      statistics.set(convs[i]!, { mean: tf.keep(mean) as tf.Tensor1D, variance: tf.keep(variance) as tf.Tensor1D });
    });
  });
  return statistics;
}
