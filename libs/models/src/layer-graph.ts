// The functional graph of a model, read from its serialized config (the same for models built
// here, loaded from TF.js files or imported from Keras), so that analysis never depends on names.
import type { tfl } from '@prune/compute';
import { ModelFormatError } from './metadata.js';

export interface LayerConfigJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  inbound_nodes: [string, number, number, Record<string, unknown>][][];
}

export interface ModelConfigJson {
  class_name: string;
  config: {
    name: string;
    layers: LayerConfigJson[];
    input_layers: [string, number, number][];
    output_layers: [string, number, number][];
  };
  [key: string]: unknown;
}

export interface LayerNode {
  name: string;
  className: string;
  config: Record<string, unknown>;
  inputs: string[];
  consumers: string[];
  /** Output shape without the batch dimension. */
  outputShape: number[];
}

export class LayerGraph {
  readonly nodes = new Map<string, LayerNode>();
  readonly outputs: string[];
  readonly inputs: string[];

  constructor(
    readonly modelConfig: ModelConfigJson,
    shapes: Map<string, number[]>,
  ) {
    for (const layer of modelConfig.config.layers) {
      if (layer.inbound_nodes.length > 1) {
        throw new ModelFormatError(
          `layer "${layer.name}" is shared (called ${layer.inbound_nodes.length} times); shared layers cannot be pruned`,
        );
      }
      const inputs = (layer.inbound_nodes[0] ?? []).map(([name]) => name);
      this.nodes.set(layer.name, {
        name: layer.name,
        className: layer.class_name,
        config: layer.config,
        inputs,
        consumers: [],
        outputShape: shapes.get(layer.name) ?? [],
      });
    }
    for (const node of this.nodes.values()) for (const input of node.inputs) this.get(input).consumers.push(node.name);
    this.outputs = modelConfig.config.output_layers.map(([name]) => name);
    this.inputs = modelConfig.config.input_layers.map(([name]) => name);
  }

  static of(model: tfl.LayersModel): LayerGraph {
    const shapes = new Map<string, number[]>();
    for (const layer of model.layers) {
      const shape = layer.outputShape as (number | null)[];
      shapes.set(
        layer.name,
        shape.slice(1).map((d) => d ?? -1),
      );
    }
    return new LayerGraph(model.toJSON(null, false) as unknown as ModelConfigJson, shapes);
  }

  get(name: string): LayerNode {
    const node = this.nodes.get(name);
    if (!node) throw new ModelFormatError(`layer "${name}" is referenced but not defined`);
    return node;
  }

  /** Layers in the order they appear in the config (a topological order). */
  ordered(): LayerNode[] {
    return [...this.nodes.values()];
  }
}
