// What an ONNX value is while a graph is imported: a constant (a weight, or a shape computed from
// constants), an activation (a TF.js symbolic tensor), or a strided subsample of one that waits to
// be fused with the channel padding after it (an option-A shortcut).
import type { tfl } from '@prune/compute';
import { layerRule } from '../layer-rules/registry.js';
import type { TensorValues } from './onnx-proto.js';

export interface Constant {
  kind: 'constant';
  tensor: TensorValues;
}

/**
 * An activation. TF.js holds images as NHWC where ONNX says NCHW; the layout is converted once,
 * at the input, and every operator's axes are read in ONNX terms.
 */
export interface Activation {
  kind: 'activation';
  tensor: tfl.SymbolicTensor;
  /** Known >= 0 (after a ReLU): zero padding before a max-pool is then exact. */
  nonNegative: boolean;
  /** ONNX sees [N, C, 1, 1] where the TF.js tensor is [N, C] (after global pooling). */
  pooled?: boolean;
  /**
   * For [N, F] made by flattening a C x H x W map with H*W > 1: TF.js flattens in H, W, C order,
   * ONNX in C, H, W order; a Gemm after it reorders its weight rows to match.
   */
  flattenedFrom?: { c: number; h: number; w: number };
  /** ONNX sees the image transposed to [N, H, W, C] (TF.js's own layout), as before a Keras flatten. */
  channelsLast?: boolean;
}

export interface Subsampled {
  kind: 'subsampled';
  source: Activation;
  strideH: number;
  strideW: number;
}

export type OnnxValue = Constant | Activation | Subsampled;

/** The ONNX shape of an activation, the batch as -1. */
export function onnxShape(value: Activation): number[] {
  const shape = value.tensor.shape.slice(1).map((d) => d ?? -1);
  if (shape.length === 3) return value.channelsLast ? [-1, ...shape] : [-1, shape[2]!, shape[0]!, shape[1]!];
  return value.pooled ? [-1, ...shape, 1, 1] : [-1, ...shape];
}

/**
 * Explicit [top, left, bottom, right] pads of "same" padding for an input of `sizes` (H, W): TF's
 * 'same' and ONNX's SAME_UPPER put the odd pixel at the end, SAME_LOWER at the start.
 */
export function samePads(
  sizes: number[],
  kernel: number[],
  strides: number[],
  dilations: number[],
  lower = false,
): number[] {
  const totals = sizes.map((n, i) =>
    Math.max((Math.ceil(n / strides[i]!) - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - n, 0),
  );
  const begin = totals.map((t) => (lower ? Math.ceil(t / 2) : Math.floor(t / 2)));
  return [...begin, ...totals.map((t, i) => t - begin[i]!)];
}

/**
 * How a convolution kernel is laid out in ONNX (O, I, kH, kW, as in PyTorch) against TF.js
 * (kH, kW, I, O): the permutation the Conv2D layer rule keeps for PyTorch weights, and its inverse.
 */
export function convKernelPermutations(): { toTfjs: number[]; toOnnx: number[] } {
  const toTfjs = layerRule('Conv2D').torchWeights![0]!.permutation!;
  const toOnnx: number[] = [];
  toTfjs.forEach((source, target) => (toOnnx[source] = target));
  return { toTfjs, toOnnx };
}
