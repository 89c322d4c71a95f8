// Loading a model never runs code from the file: only these layer classes are accepted
// (Lambda and anything unknown is refused with the layer's name).
import { ModelFormatError } from './metadata.js';

export const SUPPORTED_LAYER_CLASSES = new Set([
  'InputLayer',
  'Conv2D',
  'Dense',
  'BatchNormalization',
  'Activation',
  'ReLU',
  'Add',
  'AveragePooling2D',
  'MaxPooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'ZeroPadding2D',
  'Dropout',
  'OptionAShortcut',
]);

interface TopologyLike {
  config?: { layers?: { class_name?: string; name?: string; config?: { name?: string } }[] };
  model_config?: TopologyLike;
}

export function assertSupportedLayers(topology: TopologyLike, source: string): void {
  const config = topology.model_config ?? topology;
  const layers = config.config?.layers;
  if (!Array.isArray(layers)) throw new ModelFormatError(`${source}: no functional model config (config.layers) found`);
  for (const layer of layers) {
    const name = layer.name ?? layer.config?.name ?? '?';
    if (!SUPPORTED_LAYER_CLASSES.has(layer.class_name ?? '')) {
      throw new ModelFormatError(
        `${source}: layer "${name}" has unsupported class ${layer.class_name}` +
          (layer.class_name === 'Lambda' ? ' (Lambda layers carry code and are never loaded)' : '') +
          `; supported: ${[...SUPPORTED_LAYER_CLASSES].join(', ')}`,
      );
    }
  }
}
