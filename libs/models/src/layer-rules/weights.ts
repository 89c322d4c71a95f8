// Weight operations shared by the rules of layers with a [..., in, out] kernel and an [out] bias.
import { tf } from '@prune/compute';
import type { LayerRule } from './layer-rule.js';

/**
 * Keeps the indices `keep` of `t` along `axis`, as a tensor with its own buffer. (A fresh copy:
 * wasm's GatherV2 records its output under an internal 4D shape, and wasm's FusedConv2D then
 * rejects it as a bias "of rank 4".)
 */
export function gather(t: tf.Tensor, keep: number[] | null, axis: number): tf.Tensor {
  const values = keep ? tf.tidy(() => tf.gather(t, tf.tensor1d(keep, 'int32'), axis)) : t;
  const copy = tf.tensor(values.dataSync(), values.shape, values.dtype);
  if (values !== t) values.dispose();
  return copy;
}

/** Slicing of a [..., in, out] kernel and an [out] bias (Conv2D: axes 2, 3; Dense: 0, 1). */
export function sliceKernelAndBias(inAxis: number, outAxis: number): NonNullable<LayerRule['slice']> {
  return ([kernel, bias], keepIn, keepOut) => {
    const inSliced = gather(kernel!, keepIn, inAxis);
    const k = gather(inSliced, keepOut, outAxis);
    inSliced.dispose();
    return bias ? [k, gather(bias, keepOut, 0)] : [k];
  };
}

/** Sum of |w| per output channel of a [..., out] kernel (the first weight). */
export function kernelL1PerOutputChannel([kernel]: tf.Tensor[]): Float32Array {
  return tf.tidy(() => {
    const out = kernel!.shape.at(-1)!;
    return tf.sum(tf.abs(tf.reshape(kernel!, [-1, out])), 0).dataSync() as Float32Array;
  });
}

/** Product of a shape's dimensions. */
export const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** A Keras size argument (`3` or `[3, 3]`) as [height, width]. */
export const pair = (v: unknown): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];
