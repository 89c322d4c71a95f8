// Keras Sequential models as the functional models they are: each layer takes the previous one's
// output. Structure analysis, surgery and every writer work on functional graphs, so a Sequential
// configuration (Keras 2 or Keras 3, as model.save() writes it) is rewritten as one when loaded.
import { ModelFormatError } from './metadata.js';

type Json = Record<string, unknown>;

/**
 * `topology` unchanged unless it is a Sequential model's; then the functional configuration of the
 * same layers, chained, in the same dialect (`keras3`: Keras 3's tensor references and shapes).
 * Without an InputLayer, one is made from the model's build shape.
 */
export function functionalFromSequential(topology: Json, keras3: boolean, source: string): Json {
  if (topology['class_name'] !== 'Sequential') return topology;
  // Keras before 2.3 wrote a Sequential's config as its list of layers.
  const config = (
    Array.isArray(topology['config']) ? { layers: topology['config'] } : (topology['config'] ?? {})
  ) as Json;
  const given = Array.isArray(config['layers']) ? (config['layers'] as Json[]) : [];
  if (!given.length) throw new ModelFormatError(`${source}: a Sequential model without layers`);
  const shapeKey = keras3 ? 'batch_shape' : 'batch_input_shape';
  const layerName = (layer: Json) => String((layer['config'] as Json | undefined)?.['name'] ?? layer['name']);
  const layers = [...given];
  if (given[0]!['class_name'] !== 'InputLayer') {
    const first = (given[0]!['config'] ?? {}) as Json;
    const shape = config['build_input_shape'] ?? first['batch_input_shape'] ?? first['batch_shape'];
    if (!Array.isArray(shape))
      throw new ModelFormatError(`${source}: a Sequential model that was never built: its input shape is unknown`);
    layers.unshift({
      class_name: 'InputLayer',
      ...(keras3 ? { module: 'keras.layers' } : {}),
      config: { name: `${String(config['name'] ?? 'sequential')}_input`, [shapeKey]: shape, dtype: 'float32' },
    });
  }
  const reference = (name: string) =>
    keras3 ? { class_name: '__keras_tensor__', config: { keras_history: [name, 0, 0] } } : [name, 0, 0, {}];
  const chained = layers.map((layer, i) => {
    const name = layerName(layer);
    const inbound =
      i === 0
        ? []
        : keras3
          ? [{ args: [reference(layerName(layers[i - 1]!))], kwargs: {} }]
          : [[reference(layerName(layers[i - 1]!))]];
    return { ...layer, name, inbound_nodes: inbound };
  });
  const [input, output] = [layerName(layers[0]!), layerName(layers.at(-1)!)];
  return {
    ...topology,
    class_name: 'Functional',
    config: {
      name: String(config['name'] ?? 'sequential'),
      layers: chained,
      input_layers: [[input, 0, 0]],
      output_layers: [[output, 0, 0]],
    },
  };
}
