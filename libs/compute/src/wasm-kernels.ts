// Convolution gradients for the wasm backend, built only from kernels that wasm runs well
// (XNNPACK conv, pad, transpose) and installed through TF.js's public kernel registry.
//
// Why: tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel at all (training fails) and its
// Conv2DBackpropInput is a naive loop. Both are expressed here as forward convolutions. They are
// kernels (not gradients) because tfjs-core's fused conv2d calls the backprop kernels directly
// from its own custom gradient. (Batch-norm training is made fast in batch-norm.ts.)
import * as tf from '@tensorflow/tfjs-core';
import type { KernelBackend, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

type KernelArgs = { inputs: NamedTensorInfoMap; backend: KernelBackend; attrs: NamedAttrMap };

type Shape4 = [number, number, number, number];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/**
 * Runs existing wasm kernels by name on TensorInfos and frees every intermediate result when
 * the computation ends, keeping only the one it returns.
 */
class KernelChain {
  private readonly made: TensorInfo[] = [];
  constructor(private readonly backend: KernelBackend) {}

  run(kernelName: string, inputs: Record<string, TensorInfo>, attrs: NamedAttrMap = {}): TensorInfo {
    const kernel = tf.getKernel(kernelName, 'wasm');
    if (!kernel) throw new Error(`wasm backend has no ${kernelName} kernel`);
    const out = kernel.kernelFunc({ inputs, attrs, backend: this.backend }) as TensorInfo;
    this.made.push(out);
    return out;
  }

  finish(result: TensorInfo): TensorInfo {
    for (const info of this.made) if (info !== result) this.backend.disposeData(info.dataId);
    return result;
  }
}

function padInfoOf(inShape: Shape4, filterShape: Shape4, attrs: ConvAttrs) {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`wasm conv backprop supports NHWC only, got ${attrs.dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return { pad: info.padInfo, stride: [info.strideHeight, info.strideWidth] as const, outShape: info.outShape };
}

/**
 * Gradient of a conv2d with respect to its filter, as one forward convolution: the batch
 * becomes the channel being reduced, the output gradient becomes a filter dilated by the stride.
 * dW[i,j,ci,co] = sum_{n,h,w} xPadded[n, h*s+i, w*s+j, ci] * dy[n,h,w,co].
 */
function conv2dBackpropFilter(args: KernelArgs): TensorInfo {
  const x = args.inputs['x']!;
  const dy = args.inputs['dy']!;
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: Shape4 };
  const [kh, kw] = attrs.filterShape;
  const { pad, stride } = padInfoOf(x.shape as Shape4, attrs.filterShape, attrs);
  const [, outH, outW] = dy.shape;
  const [, inH, inW] = x.shape as Shape4;
  const chain = new KernelChain(args.backend);
  // Rows/cols of the padded input actually touched by the forward conv.
  const needH = (outH! - 1) * stride[0] + kh;
  const needW = (outW! - 1) * stride[1] + kw;
  let xp = chain.run(
    'PadV2',
    { x },
    {
      paddings: [
        [0, 0],
        [pad.top, Math.max(0, needH - inH - pad.top)],
        [pad.left, Math.max(0, needW - inW - pad.left)],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  if (xp.shape[1] !== needH || xp.shape[2] !== needW) {
    xp = chain.run('Slice', { x: xp }, { begin: [0, 0, 0, 0], size: [-1, needH, needW, -1] });
  }
  const xT = chain.run('Transpose', { x: xp }, { perm: [3, 1, 2, 0] }); // [Ci, H, W, N]
  const dyT = chain.run('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }); // [Ho, Wo, N, Co]
  const grad = chain.run(
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: 'valid',
      dataFormat: 'NHWC',
      dilations: [stride[0], stride[1]],
    },
  ); // [Ci, kh, kw, Co]
  return chain.finish(chain.run('Transpose', { x: grad }, { perm: [1, 2, 0, 3] }));
}

/**
 * Gradient of a conv2d with respect to its input, as one forward convolution of the
 * zero-upsampled output gradient with the spatially flipped, in/out-swapped filter.
 */
function conv2dBackpropInput(args: KernelArgs): TensorInfo {
  const dy = args.inputs['dy']!;
  const filter = args.inputs['filter']!;
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: Shape4 };
  const [kh, kw] = filter.shape as Shape4;
  const [, inH, inW] = attrs.inputShape;
  const { pad, stride } = padInfoOf(attrs.inputShape, filter.shape as Shape4, attrs);
  const [n, outH, outW, outC] = dy.shape as Shape4;
  const [sh, sw] = stride;
  const chain = new KernelChain(args.backend);
  let up = dy;
  if (sh > 1 || sw > 1) {
    // Insert (s-1) zeros after every row and column: [n, outH*sh, outW*sw, c].
    const grid = chain.run('Reshape', { x: dy }, { shape: [n, outH, 1, outW, 1, outC] });
    const spread = chain.run(
      'PadV2',
      { x: grid },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    up = chain.run('Reshape', { x: spread }, { shape: [n, outH * sh, outW * sw, outC] });
  }
  const top = kh - 1 - pad.top;
  const left = kw - 1 - pad.left;
  // A valid conv of an (inH + kh - 1)-row input yields exactly inH rows.
  const bottom = inH + kh - 1 - top - up.shape[1]!;
  const right = inW + kw - 1 - left - up.shape[2]!;
  let padded = chain.run(
    'PadV2',
    { x: up },
    {
      paddings: [
        [0, 0],
        [Math.max(0, top), Math.max(0, bottom)],
        [Math.max(0, left), Math.max(0, right)],
        [0, 0],
      ],
      constantValue: 0,
    },
  );
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    padded = chain.run(
      'Slice',
      { x: padded },
      {
        begin: [0, Math.max(0, -top), Math.max(0, -left), 0],
        size: [-1, inH + kh - 1, inW + kw - 1, -1],
      },
    );
  }
  const reversed = chain.run('Reverse', { x: filter }, { dims: [0, 1] });
  const flipped = chain.run('Transpose', { x: reversed }, { perm: [0, 1, 3, 2] }); // [kh, kw, Co, Ci]
  return chain.finish(
    chain.run(
      'Conv2D',
      { x: padded, filter: flipped },
      {
        strides: [1, 1],
        pad: 'valid',
        dataFormat: 'NHWC',
        dilations: [1, 1],
      },
    ),
  );
}

let registered = false;

/** Installs the wasm training kernels once per process (idempotent). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  for (const [kernelName, kernelFunc] of [
    [tf.Conv2DBackpropFilter, conv2dBackpropFilter],
    [tf.Conv2DBackpropInput, conv2dBackpropInput],
  ] as const) {
    if (tf.getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
}
