// Loading a model never runs code from the file: only layer classes with a rule in the layer
// registry are accepted (Lambda and anything unknown is refused with the layer's name).
import { hasLayerRule, unsupportedClassMessage } from './layer-rules/registry.js';
import { ModelFormatError } from './metadata.js';

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
    if (!hasLayerRule(layer.class_name ?? '')) {
      throw new ModelFormatError(`${source}: layer "${name}" has ${unsupportedClassMessage(String(layer.class_name))}`);
    }
  }
}
