// Cost of a model. `macs` are the multiply-accumulates of Conv2D and Dense layers only (the
// convention of the paper's code); `flops` counts every arithmetic operation of inference,
// including batch norm, activations, adds and pooling (2 FLOPs per MAC).
import type { tfl } from '@prune/compute';
import { LayerGraph, type LayerNode } from './layer-graph.js';

export interface LayerCost {
  name: string;
  className: string;
  macs: number;
  flops: number;
  params: number;
  outputShape: number[];
}

export interface ModelCost {
  macs: number;
  flops: number;
  params: number;
  trainableParams: number;
  layers: LayerCost[];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)]);

function layerMacsFlops(node: LayerNode, inputShape: number[]): [number, number] {
  const out = size(node.outputShape);
  switch (node.className) {
    case 'Conv2D': {
      const [kh, kw] = pair(node.config['kernel_size']);
      const groups = Number(node.config['groups'] ?? 1);
      const macs = out * kh * kw * (inputShape.at(-1)! / groups);
      return [macs, 2 * macs + (node.config['use_bias'] ? out : 0)];
    }
    case 'Dense': {
      const macs = inputShape.at(-1)! * out;
      return [macs, 2 * macs + (node.config['use_bias'] ? out : 0)];
    }
    case 'BatchNormalization':
      return [0, 2 * out]; // folded to one multiply and one add per element
    case 'Activation':
    case 'ReLU':
      return [0, out];
    case 'Add':
      return [0, out * (node.inputs.length - 1)];
    case 'AveragePooling2D':
    case 'MaxPooling2D': {
      const [ph, pw] = pair(node.config['pool_size']);
      return [0, out * ph * pw];
    }
    case 'GlobalAveragePooling2D':
      return [0, size(inputShape)];
    default:
      return [0, 0]; // data movement only (padding, flatten, dropout, shortcuts)
  }
}

export function modelCost(model: tfl.LayersModel): ModelCost {
  const graph = LayerGraph.of(model);
  const layers = graph.ordered().map((node) => {
    const inputShape = node.inputs.length ? graph.get(node.inputs[0]!).outputShape : node.outputShape;
    const [macs, flops] = layerMacsFlops(node, inputShape);
    return { name: node.name, className: node.className, macs, flops, params: model.getLayer(node.name).countParams(), outputShape: node.outputShape };
  });
  const sum = (key: 'macs' | 'flops' | 'params') => layers.reduce((a, l) => a + l[key], 0);
  const trainableParams = model.trainableWeights.reduce((a, w) => a + size(w.shape as number[]), 0);
  return { macs: sum('macs'), flops: sum('flops'), params: sum('params'), trainableParams, layers };
}

/** Output channels of every convolution, in graph order: a model's widths and (by the names present) depth. */
export interface LayerWidth {
  layer: string;
  filters: number;
}

export function convWidths(cost: ModelCost): LayerWidth[] {
  return cost.layers.filter((l) => l.className === 'Conv2D').map((l) => ({ layer: l.name, filters: l.outputShape.at(-1)! }));
}
