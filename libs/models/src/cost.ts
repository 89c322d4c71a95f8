// Cost of a model, summed over its layers' rules (layer-rules/): `macs` are the
// multiply-accumulates of Conv2D and Dense layers only (the convention of the paper's code);
// `flops` counts every arithmetic operation of inference, including batch norm, activations,
// adds and pooling (2 FLOPs per MAC). A layer class without a rule is an error, never free.
import type { tfl } from '@prune/compute';
import { LayerGraph } from './layer-graph.js';
import { layerRule } from './layer-rules/registry.js';
import { widthOf, widthUnit } from './structures.js';

export interface LayerCost {
  name: string;
  className: string;
  macs: number;
  flops: number;
  params: number;
  outputShape: number[];
  /** Filters (output channels of a convolution) or units (attention heads) it has; 0 for other layers. */
  width: number;
}

export interface ModelCost {
  macs: number;
  flops: number;
  params: number;
  trainableParams: number;
  layers: LayerCost[];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function modelCost(model: tfl.LayersModel): ModelCost {
  const graph = LayerGraph.of(model);
  const layers = graph.ordered().map((node) => {
    const inputShape = node.inputs.length ? graph.get(node.inputs[0]!).outputShape : node.outputShape;
    const { macs, flops } = layerRule(node.className, node.name).cost(node, inputShape);
    return {
      name: node.name,
      className: node.className,
      macs,
      flops,
      params: model.getLayer(node.name).countParams(),
      outputShape: node.outputShape,
      width: widthOf(node),
    };
  });
  const sum = (key: 'macs' | 'flops' | 'params') => layers.reduce((a, l) => a + l[key], 0);
  const trainableParams = model.trainableWeights.reduce((a, w) => a + size(w.shape as number[]), 0);
  return { macs: sum('macs'), flops: sum('flops'), params: sum('params'), trainableParams, layers };
}

/** Filters (or heads) of every layer that has them, in graph order: a model's widths and depth. */
export interface LayerWidth {
  layer: string;
  /** Filters, or heads when `unit` says so. */
  filters: number;
  /** What is counted: "filters", or the layer's units ("heads"). */
  unit: string;
}

export function modelWidths(cost: ModelCost): LayerWidth[] {
  return cost.layers
    .filter((l) => l.width > 0)
    .map((l) => ({ layer: l.name, filters: l.width, unit: widthUnit(l.className) }));
}
