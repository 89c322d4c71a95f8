// Which of a model's weights get L2 weight decay: what each layer's rule names (kernels of
// convolutions and Dense layers; never biases or batch-norm parameters).
import type { tfl } from '@prune/compute';
import { layerRule } from './layer-rules/registry.js';

export function decayedWeights(model: tfl.LayersModel): tfl.LayerVariable[] {
  return model.layers.flatMap((layer) => {
    const indices = layerRule(layer.getClassName(), layer.name).decayedWeights ?? [];
    return indices.map((i) => layer.weights[i]!).filter((w) => w.trainable);
  });
}
