// One rule per ONNX operator that computes on activations: each turns a node into TF.js layers
// (NHWC) with its weights, checking what it needs and naming the node when it cannot.
import { batchNormalization, tf, tfl } from '@prune/compute';
import { ModelFormatError } from '../metadata.js';
import { OptionAShortcut } from '../option-a-shortcut.js';
import type { OnnxAttributes } from './onnx-attributes.js';
import { DataType, type NodeProto, type TensorValues } from './onnx-proto.js';
import { convKernelPermutations, onnxShape, samePads, type Activation, type OnnxValue } from './onnx-values.js';

export interface LoweringContext {
  define(node: NodeProto, value: OnnxValue): void;
  describe(node: NodeProto): string;
  activation(name: string, what: string): Activation;
  consumersOf(name: string): NodeProto[];
  markLowered(node: NodeProto): void;
  isGraphOutput(name: string): boolean;
  layerName(base: string): string;
  value(name: string): OnnxValue | undefined;
}

type Inputs = (OnnxValue | undefined)[];
type LoweringRule = (node: NodeProto, inputs: Inputs, attributes: OnnxAttributes, context: LoweringContext) => void;

class Lowering {
  constructor(
    readonly node: NodeProto,
    readonly inputs: Inputs,
    readonly attributes: OnnxAttributes,
    readonly context: LoweringContext,
  ) {}

  get where(): string {
    return this.context.describe(this.node);
  }

  fail(message: string): ModelFormatError {
    return new ModelFormatError(`${this.where}: ${message}`);
  }

  activation(index = 0): Activation {
    const name = this.node.input?.[index];
    if (!name) throw this.fail(`needs input ${index}`);
    return this.context.activation(name, `input ${index} ("${name}") of ${this.where}`);
  }

  image(index = 0): Activation {
    const value = this.activation(index);
    if (value.tensor.shape.length !== 4 || value.pooled || value.channelsLast)
      throw this.fail(`expects an image tensor [N, C, H, W]; its input is [${onnxDims(value)}]`);
    return value;
  }

  constant(index: number): TensorValues | undefined {
    const value = this.inputs[index];
    if (!value) return undefined;
    if (value.kind !== 'constant')
      throw this.fail(
        `input ${index} ("${this.node.input![index]}") must be a constant (a weight or a shape), not computed from the model's input`,
      );
    return value.tensor;
  }

  weight(index: number): TensorValues {
    const t = this.constant(index);
    if (!t) throw this.fail(`needs its weight input ${index}`);
    if (t.dataType !== DataType.FLOAT && t.dataType !== DataType.DOUBLE)
      throw this.fail(`weight input ${index} has data type ${t.dataType}; float weights are supported`);
    return t;
  }

  /** Applies a new layer named after the node (with `suffix` for a second layer of one node). */
  apply<L extends tfl.layers.Layer>(
    make: (name: string) => L,
    input: tfl.SymbolicTensor | tfl.SymbolicTensor[],
    suffix = '',
  ): [tfl.SymbolicTensor, L] {
    const layer = make(this.context.layerName(`${this.node.name || this.node.output![0]}${suffix}`));
    return [layer.apply(input) as tfl.SymbolicTensor, layer];
  }

  define(value: Omit<Activation, 'kind'>): void {
    this.context.define(this.node, { kind: 'activation', ...value });
  }

  /** Passes input 0 through unchanged. */
  forward(): void {
    const value = this.inputs[0];
    if (!value) throw this.fail('needs input 0');
    this.context.define(this.node, value);
  }
}

const onnxDims = (value: Activation) => ['N', ...onnxShape(value).slice(1)].join(', ');

const toTensor = (t: TensorValues, perm?: number[]) =>
  tf.tidy(() => {
    const x = tf.tensor(Float32Array.from(t.values), t.dims, 'float32');
    return perm ? tf.transpose(x, perm) : x;
  });

function setWeights(layer: tfl.layers.Layer, values: tf.Tensor[]): void {
  layer.setWeights(values);
  tf.dispose(values);
}

/** Explicit [top, left, bottom, right] pads of a node, from `pads` or `auto_pad`. */
function spatialPads(
  l: Lowering,
  input: Activation,
  kernel: number[],
  strides: number[],
  dilations: number[],
): number[] {
  const autoPad = l.attributes.string('auto_pad', 'NOTSET');
  if (autoPad === 'NOTSET') return l.attributes.ints('pads', [0, 0, 0, 0]);
  if (autoPad === 'VALID') return [0, 0, 0, 0];
  const sizes = [input.tensor.shape[1]!, input.tensor.shape[2]!];
  return samePads(sizes, kernel, strides, dilations, autoPad === 'SAME_LOWER');
}

/** Zero padding as its own layer (TF's 'same' pads asymmetrically for strides > 1, ONNX explicitly). */
function padded(l: Lowering, x: tfl.SymbolicTensor, pads: number[]): tfl.SymbolicTensor {
  const [top, left, bottom, right] = pads as [number, number, number, number];
  if (!top && !left && !bottom && !right) return x;
  return l.apply(
    (name) =>
      tfl.layers.zeroPadding2d({
        padding: [
          [top, bottom],
          [left, right],
        ],
        name,
      }),
    x,
    '.pad',
  )[0];
}

const conv: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const x = l.image();
  const w = l.weight(1);
  const bias = inputs[2] ? l.weight(2) : undefined;
  if (w.dims.length !== 4) throw l.fail(`expects a 2-D convolution weight [O, I, kH, kW], got [${w.dims}]`);
  const [filters, channels, kh, kw] = w.dims as [number, number, number, number];
  const group = attributes.int('group', 1);
  if (group !== 1) throw l.fail(`group=${group} (grouped or depthwise convolution) is not supported`);
  if (x.tensor.shape[3] !== channels)
    throw l.fail(`its weight expects ${channels} input channels, its input has ${x.tensor.shape[3]}`);
  const strides = attributes.ints('strides', [1, 1]);
  const dilations = attributes.ints('dilations', [1, 1]);
  const pads = spatialPads(l, x, [kh, kw], strides, dilations);
  const symmetricSame =
    strides.every((s) => s === 1) &&
    pads[0] === pads[2] &&
    pads[1] === pads[3] &&
    2 * pads[0]! === dilations[0]! * (kh - 1) &&
    2 * pads[1]! === dilations[1]! * (kw - 1);
  const input = symmetricSame ? x.tensor : padded(l, x.tensor, pads);
  const [y, layer] = l.apply(
    (name) =>
      tfl.layers.conv2d({
        filters,
        kernelSize: [kh, kw],
        strides: strides as [number, number],
        dilationRate: dilations as [number, number],
        padding: symmetricSame ? 'same' : 'valid',
        useBias: !!bias,
        name,
      }),
    input,
  );
  setWeights(layer, [toTensor(w, convKernelPermutations().toTfjs), ...(bias ? [toTensor(bias)] : [])]);
  l.define({ tensor: y, nonNegative: false });
};

const batchNorm: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const x = l.activation();
  if (x.flattenedFrom || x.channelsLast)
    throw l.fail(
      'batch normalization of a flattened or transposed map is not supported (of [N, C, H, W] and [N, C] is)',
    );
  const [gamma, beta, mean, variance] = [1, 2, 3, 4].map((i) => l.weight(i));
  const [y, layer] = l.apply(
    (name) => batchNormalization({ epsilon: attributes.float('epsilon', 1e-5), momentum: 0.9, axis: -1, name }),
    x.tensor,
  );
  setWeights(
    layer,
    [gamma, beta, mean, variance].map((t) => toTensor(t!)),
  );
  l.define({ ...x, tensor: y, nonNegative: false });
};

function activationLayer(activation: string, nonNegative: boolean): LoweringRule {
  return (node, inputs, attributes, context) => {
    const l = new Lowering(node, inputs, attributes, context);
    const x = l.activation();
    const [y] = l.apply((name) => tfl.layers.activation({ activation: activation as 'relu', name }), x.tensor);
    l.define({ ...x, tensor: y, nonNegative });
  };
}

const clip: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const min = l.constant(1)?.values[0] ?? attributes.float('min', -Infinity);
  const max = l.constant(2)?.values[0] ?? attributes.float('max', Infinity);
  if (min === 0 && max === 6) return activationLayer('relu6', true)(node, inputs, attributes, context);
  if (min === 0 && max === Infinity) return activationLayer('relu', true)(node, inputs, attributes, context);
  throw l.fail(`Clip to [${min}, ${max}] is not supported (ReLU [0, inf) and ReLU6 [0, 6] are)`);
};

/** Sigmoid, or SiLU when its only consumer multiplies it by its own input (x * sigmoid(x)). */
const sigmoid: LoweringRule = (node, inputs, attributes, context) => {
  const out = node.output![0]!;
  const users = context.consumersOf(out);
  const mul = users.length === 1 && !context.isGraphOutput(out) ? users[0]! : undefined;
  if (
    mul?.opType === 'Mul' &&
    mul.input?.length === 2 &&
    mul.input.includes(out) &&
    mul.input.includes(node.input![0]!)
  ) {
    const l = new Lowering(mul, inputs, attributes, context);
    const x = l.activation(mul.input.indexOf(out) === 0 ? 1 : 0);
    const [y] = l.apply((name) => tfl.layers.activation({ activation: 'swish', name }), x.tensor);
    context.define(mul, { ...x, tensor: y, nonNegative: false });
    context.markLowered(node);
    return;
  }
  activationLayer('sigmoid', true)(node, inputs, attributes, context);
};

/** Add and Sum of activations (residual connections); an added constant must be zero. */
const add: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const terms: Activation[] = [];
  inputs.forEach((value, i) => {
    if (value?.kind !== 'constant') return terms.push(l.activation(i));
    if (value.tensor.values.some((v) => v !== 0))
      throw l.fail(
        'adds a constant tensor to an activation; only sums of activations (residual connections) are supported',
      );
  });
  if (terms.length === 1) return l.define(terms[0]!);
  // Terms must agree in shape and in how their elements are laid out (see Activation).
  const layouts = terms.map((t) => `[${onnxDims(t)}]${JSON.stringify([t.flattenedFrom, !!t.channelsLast])}`);
  if (new Set(layouts).size > 1)
    throw l.fail(
      `adds tensors of shapes ${terms.map((t) => `[${onnxDims(t)}]`).join(' and ')} laid out differently; broadcasting is not supported`,
    );
  const [y] = l.apply(
    (name) => tfl.layers.add({ name }),
    terms.map((t) => t.tensor),
  );
  l.define({ ...terms[0]!, tensor: y, nonNegative: terms.every((t) => t.nonNegative) });
};

/**
 * Concat of activations along the channels (DenseNet- and Inception-style): of image maps, or of
 * pooled or plain [N, F] vectors. Constant inputs (shape arithmetic) were folded at import.
 */
const concat: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const terms = inputs.map((_, i) => l.activation(i));
  if (terms.length === 1) return l.define(terms[0]!);
  const rank = onnxShape(terms[0]!).length;
  if (rank !== 2 && rank !== 4) throw l.fail(`concatenates rank-${rank} tensors; images or vectors are supported`);
  const axis = attributes.int('axis', 1);
  if ((axis < 0 ? axis + rank : axis) !== 1)
    throw l.fail(`concatenates along axis ${axis}; only the channel axis (1) is supported`);
  const layouts = terms.map((t) =>
    JSON.stringify([onnxShape(t).length, !!t.pooled, t.flattenedFrom, !!t.channelsLast]),
  );
  if (new Set(layouts).size > 1 || terms.some((t) => t.flattenedFrom || t.channelsLast))
    throw l.fail(
      `concatenates tensors of shapes ${terms.map((t) => `[${onnxDims(t)}]`).join(' and ')} laid out differently`,
    );
  const [y] = l.apply(
    (name) => tfl.layers.concatenate({ name, axis: -1 }),
    terms.map((t) => t.tensor),
  );
  l.define({ ...terms[0]!, tensor: y, nonNegative: terms.every((t) => t.nonNegative) });
};

function pool(kind: 'max' | 'average'): LoweringRule {
  return (node, inputs, attributes, context) => {
    const l = new Lowering(node, inputs, attributes, context);
    const x = l.image();
    const kernel = attributes.ints('kernel_shape');
    const strides = attributes.ints('strides', [1, 1]);
    if (attributes.ints('dilations', [1, 1]).some((d) => d !== 1)) throw l.fail('dilated pooling is not supported');
    const pads = spatialPads(l, x, kernel, strides, [1, 1]);
    if (attributes.int('ceil_mode', 0)) {
      const sizes = [x.tensor.shape[1]!, x.tensor.shape[2]!];
      const differs = sizes.some((n, i) => {
        const span = n + pads[i]! + pads[i + 2]! - kernel[i]!;
        return Math.ceil(span / strides[i]!) !== Math.floor(span / strides[i]!);
      });
      if (differs) throw l.fail('ceil_mode=1 changes the output size here; only floor rounding is supported');
    }
    const sizes = [x.tensor.shape[1]!, x.tensor.shape[2]!];
    // TF's 'same' pads like SAME_UPPER and ignores the padding (max and average alike).
    const same = pads.join() === samePads(sizes, kernel, strides, [1, 1]).join();
    const anyPad = !same && pads.some((p) => p !== 0);
    if (anyPad && kind === 'max' && !x.nonNegative)
      throw l.fail(
        'max-pooling with padding is exact only on non-negative inputs (after a ReLU); its input may be negative',
      );
    if (same && kind === 'average' && attributes.int('count_include_pad', 0) && pads.some((p) => p !== 0))
      throw l.fail('average pooling with count_include_pad=1 over "same" padding is not supported');
    if (anyPad && kind === 'average' && !attributes.int('count_include_pad', 0))
      throw l.fail('average pooling with padding and count_include_pad=0 is not supported');
    const input = same ? x.tensor : padded(l, x.tensor, pads);
    const make = kind === 'max' ? tfl.layers.maxPooling2d : tfl.layers.averagePooling2d;
    const [y] = l.apply(
      (name) =>
        make({
          poolSize: kernel as [number, number],
          strides: strides as [number, number],
          padding: same ? 'same' : 'valid',
          name,
        }),
      input,
    );
    l.define({ tensor: y, nonNegative: x.nonNegative });
  };
}

function globalAverage(
  node: NodeProto,
  inputs: Inputs,
  attributes: OnnxAttributes,
  context: LoweringContext,
  keepDims: boolean,
) {
  const l = new Lowering(node, inputs, attributes, context);
  const x = l.image();
  const [y] = l.apply((name) => tfl.layers.globalAveragePooling2d({ name }), x.tensor);
  l.define({ tensor: y, nonNegative: x.nonNegative, pooled: keepDims });
}

const reduceMean: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const axes = [...(l.constant(1)?.values ?? attributes.ints('axes', []))].map((a) => (a < 0 ? a + 4 : a)).sort();
  if (axes.join() !== '2,3')
    throw l.fail(`ReduceMean over axes [${axes}] is not supported (over [2, 3], global average pooling, is)`);
  globalAverage(node, inputs, attributes, context, attributes.int('keepdims', 1) === 1);
};

const pad: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  if (attributes.string('mode', 'constant') !== 'constant')
    throw l.fail(`mode "${attributes.string('mode')}" is not supported (constant is)`);
  if (l.constant(2)?.values.some((v) => v !== 0)) throw l.fail('padding with a value other than 0 is not supported');
  const source = inputs[0];
  const x = source?.kind === 'subsampled' ? source.source : l.image();
  const given = [...(l.constant(1)?.values ?? attributes.ints('pads'))];
  const axes = l.constant(3) ? [...l.constant(3)!.values].map((a) => (a < 0 ? a + 4 : a)) : [0, 1, 2, 3];
  const pads = new Array<number>(8).fill(0);
  axes.forEach((axis, i) => {
    pads[axis] = given[i]!;
    pads[axis + 4] = given[i + axes.length]!;
  });
  const [n0, c0, h0, w0, n1, c1, h1, w1] = pads as [number, number, number, number, number, number, number, number];
  if (pads.some((p) => p < 0)) throw l.fail('negative pads (cropping) are not supported');
  if (n0 || n1) throw l.fail('pads the batch dimension');
  const stride = source?.kind === 'subsampled' ? source.strideH : 1;
  if (source?.kind === 'subsampled' && source.strideW !== stride)
    throw l.fail('follows a subsample with unequal steps');
  if (c0 || c1) {
    if (h0 || h1 || w0 || w1) throw l.fail('pads channels and space at once; one at a time is supported');
    // Channel zero-padding (after a strided subsample): the option-A shortcut of CIFAR ResNets.
    const [y] = l.apply((name) => new OptionAShortcut({ padBefore: c0, padAfter: c1, stride, name }), x.tensor);
    return l.define({ tensor: y, nonNegative: x.nonNegative });
  }
  const input = source?.kind === 'subsampled' ? l.activation() : x;
  l.define({ tensor: padded(l, input.tensor, [h0, w0, h1, w1]), nonNegative: input.nonNegative });
};

/** Strided subsampling x[:, :, ::s, ::s] (the only slicing of activations exporters emit for CNNs). */
const slice: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const source = inputs[0];
  const base = source?.kind === 'subsampled' ? source.source : l.image();
  const steps = {
    h: source?.kind === 'subsampled' ? source.strideH : 1,
    w: source?.kind === 'subsampled' ? source.strideW : 1,
  };
  const starts = [...l.constant(1)!.values];
  const ends = [...l.constant(2)!.values];
  const axes = [...(l.constant(3)?.values ?? starts.map((_, i) => i))].map((a) => (a < 0 ? a + 4 : a));
  const stepValues = [...(l.constant(4)?.values ?? starts.map(() => 1))];
  const dims = [Infinity, base.tensor.shape[3]!, base.tensor.shape[1]!, base.tensor.shape[2]!];
  axes.forEach((axis, i) => {
    const full = starts[i] === 0 && ends[i]! >= dims[axis]!;
    if (!full || (axis < 2 && stepValues[i] !== 1) || stepValues[i]! < 1)
      throw l.fail(
        `only strided subsampling x[:, :, ::s, ::s] is supported; got axes [${axes}], starts [${starts}], ends [${ends}], steps [${stepValues}]`,
      );
    if (axis === 2) steps.h *= stepValues[i]!;
    if (axis === 3) steps.w *= stepValues[i]!;
  });
  context.define(node, { kind: 'subsampled', source: base, strideH: steps.h, strideW: steps.w });
};

/**
 * Flatten to [N, features]. TF.js flattens a map in H, W, C order: when ONNX flattens it in C, H, W
 * order (not transposed to channels-last first) the Gemm after it reorders its weight rows.
 */
function flattenTo2d(l: Lowering): void {
  const x = l.activation();
  if (x.tensor.shape.length === 2) return l.define(x.pooled ? { ...x, pooled: false } : x);
  const [, h, w, c] = x.tensor.shape as number[];
  const [y] = l.apply((name) => tfl.layers.flatten({ name }), x.tensor);
  const reordered = h! * w! > 1 && !x.channelsLast;
  l.define({ tensor: y, nonNegative: x.nonNegative, ...(reordered ? { flattenedFrom: { c: c!, h: h!, w: w! } } : {}) });
}

/** Transposes between NCHW and NHWC (as exports of channels-last models write around a flatten). */
const transpose: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const x = l.activation();
  const perm = attributes.ints('perm', []).join();
  if (x.tensor.shape.length === 4 && !x.pooled && perm === (x.channelsLast ? '0,3,1,2' : '0,2,3,1'))
    return l.define({ ...x, channelsLast: !x.channelsLast });
  throw l.fail(`Transpose with perm [${perm}] of [${onnxDims(x)}] is not supported (NCHW to NHWC and back are)`);
};

const flatten: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  if (attributes.int('axis', 1) !== 1)
    throw l.fail(`Flatten with axis=${attributes.int('axis')} is not supported (axis=1 is)`);
  flattenTo2d(l);
};

const reshape: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const target = [...l.constant(1)!.values];
  const x = l.activation();
  const features = x.tensor.shape.slice(1).reduce((a, b) => a! * b!, 1)!;
  // The first entry is the batch however it was written (-1, 0, 1 or x.size(0) folded as -1).
  const rest = target.slice(1);
  if (target.length === 2 && (rest[0] === -1 || rest[0] === features)) return flattenTo2d(l);
  throw l.fail(`reshapes [${onnxDims(x)}] to [${target}]; only flattening to [N, ${features}] is supported`);
};

function dense(l: Lowering, kernel: tf.Tensor2D, bias: tf.Tensor | undefined): void {
  const x = l.activation();
  if (x.tensor.shape.length !== 2 || x.pooled)
    throw l.fail(`expects [N, features] (flatten first); its input is [${onnxDims(x)}]`);
  let k = kernel;
  const [rows, units] = kernel.shape;
  if (rows !== x.tensor.shape[1])
    throw l.fail(`its weight has ${rows} input features, its input has ${x.tensor.shape[1]}`);
  if (x.flattenedFrom) {
    // Rows in ONNX order (c, h, w) to TF.js order (h, w, c).
    const { c, h, w } = x.flattenedFrom;
    k = tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(kernel, [c, h, w, units]), [1, 2, 0, 3]), [rows, units]));
    kernel.dispose();
  }
  const [y, layer] = l.apply((name) => tfl.layers.dense({ units, useBias: !!bias, name }), x.tensor);
  setWeights(layer, [k, ...(bias ? [bias] : [])]);
  l.define({ tensor: y, nonNegative: false });
}

const gemm: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  if (attributes.int('transA', 0)) throw l.fail('transA=1 is not supported');
  const alpha = attributes.float('alpha', 1);
  const beta = attributes.float('beta', 1);
  const b = l.weight(1);
  const c = inputs[2] ? l.weight(2) : undefined;
  const kernel = tf.tidy(() =>
    tf.mul(toTensor(b, attributes.int('transB', 0) ? [1, 0] : undefined), alpha),
  ) as tf.Tensor2D;
  const bias = c ? tf.tidy(() => tf.mul(tf.reshape(toTensor(c), [-1]), beta)) : undefined;
  dense(l, kernel, bias);
};

/** MatMul by a weight, with the bias Add after it when that is its only consumer. */
const matMul: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const kernel = toTensor(l.weight(1)) as tf.Tensor2D;
  const out = node.output![0]!;
  const users = context.consumersOf(out);
  const next = users.length === 1 && !context.isGraphOutput(out) ? users[0]! : undefined;
  const biasName = next?.opType === 'Add' ? next.input!.find((name) => name !== out) : undefined;
  const bias = biasName ? context.value(biasName) : undefined;
  if (bias?.kind !== 'constant') return dense(l, kernel, undefined);
  dense(
    l,
    kernel,
    tf.tidy(() => tf.reshape(toTensor(bias.tensor), [-1])),
  );
  context.define(next!, context.activation(out, `output of ${l.where}`));
};

const softmax: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const x = l.activation();
  const axis = attributes.int('axis', -1);
  if (x.tensor.shape.length !== 2 || (axis !== 1 && axis !== -1))
    throw l.fail(`Softmax over axis ${axis} of [${onnxDims(x)}] is not supported`);
  const [y] = l.apply((name) => tfl.layers.activation({ activation: 'softmax', name }), x.tensor);
  l.define({ tensor: y, nonNegative: true });
};

const identity: LoweringRule = (node, inputs, attributes, context) =>
  new Lowering(node, inputs, attributes, context).forward();

const shape: LoweringRule = (node, inputs, attributes, context) => {
  const l = new Lowering(node, inputs, attributes, context);
  const x = l.activation();
  const dims = onnxShape(x);
  const start = attributes.int('start', 0);
  const end = attributes.int('end', dims.length);
  const values = dims.slice(start, end);
  context.define(node, {
    kind: 'constant',
    tensor: { dims: [values.length], dataType: DataType.INT64, values: Float64Array.from(values) },
  });
};

export const LOWERING_RULES: Record<string, LoweringRule> = {
  Conv: conv,
  BatchNormalization: batchNorm,
  Relu: activationLayer('relu', true),
  Clip: clip,
  Sigmoid: sigmoid,
  Tanh: activationLayer('tanh', false),
  Add: add,
  Sum: add,
  Concat: concat,
  MaxPool: pool('max'),
  AveragePool: pool('average'),
  GlobalAveragePool: (node, inputs, attributes, context) => globalAverage(node, inputs, attributes, context, true),
  ReduceMean: reduceMean,
  Pad: pad,
  Slice: slice,
  Flatten: flatten,
  Transpose: transpose,
  Reshape: reshape,
  Gemm: gemm,
  MatMul: matMul,
  Softmax: softmax,
  Identity: identity,
  Dropout: identity,
  Shape: shape,
};

export const SUPPORTED_OPS = Object.keys(LOWERING_RULES);
