// Constant folding for ONNX import: exporters emit small subgraphs on constants (PyTorch's F.pad
// becomes ConstantOfShape/Concat/Reshape/Transpose/Cast/Slice feeding a Pad; x.view(x.size(0), -1)
// becomes Shape/Gather/Unsqueeze/Concat feeding a Reshape). Evaluated here on plain arrays, so
// what reaches the layer builder is the network.
import { ModelFormatError } from '../metadata.js';
import { DataType, type TensorValues } from './onnx-proto.js';
import type { OnnxAttributes } from './onnx-attributes.js';

/** Operators evaluated when all their inputs are constants. */
export const FOLDABLE_OPS = new Set([
  'Identity',
  'Cast',
  'Concat',
  'ConstantOfShape',
  'Gather',
  'Unsqueeze',
  'Squeeze',
  'Reshape',
  'Transpose',
  'Slice',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Neg',
  'Equal',
  'Where',
  'Expand',
  'Range',
]);

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
const stridesOf = (dims: number[]) => dims.map((_, i) => size(dims.slice(i + 1)));
const isFloat = (t: TensorValues) => t.dataType === DataType.FLOAT || t.dataType === DataType.DOUBLE;

function like(t: TensorValues, dims: number[], values: ArrayLike<number>): TensorValues {
  return { dims, dataType: t.dataType, values: isFloat(t) ? Float32Array.from(values) : Float64Array.from(values) };
}

const normalizeAxis = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

/** Values of `t` at every index of `outDims`, read through `source(index)` (an index list). */
function gatherBy(t: TensorValues, outDims: number[], source: (index: number[]) => number): TensorValues {
  const out = new Array<number>(size(outDims));
  const index = outDims.map(() => 0);
  for (let i = 0; i < out.length; i++) {
    out[i] = t.values[source(index)]!;
    for (let d = outDims.length - 1; d >= 0; d--) {
      if (++index[d]! < outDims[d]!) break;
      index[d] = 0;
    }
  }
  return like(t, outDims, out);
}

function broadcastDims(a: number[], b: number[]): number[] {
  const rank = Math.max(a.length, b.length);
  return Array.from({ length: rank }, (_, i) => {
    const x = a[i - rank + a.length] ?? 1;
    const y = b[i - rank + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    return Math.max(x, y);
  });
}

/** `t` read at an index of a broadcast shape. */
function broadcastReader(t: TensorValues, outDims: number[]): (index: number[]) => number {
  const strides = stridesOf(t.dims);
  const offset = outDims.length - t.dims.length;
  return (index) => {
    let flat = 0;
    for (let d = 0; d < t.dims.length; d++) flat += (t.dims[d] === 1 ? 0 : index[d + offset]!) * strides[d]!;
    return t.values[flat]!;
  };
}

function elementwise(inputs: TensorValues[], f: (...v: number[]) => number, result = inputs[0]!): TensorValues {
  const dims = inputs.map((t) => t.dims).reduce(broadcastDims);
  const readers = inputs.map((t) => broadcastReader(t, dims));
  const values = new Array<number>(size(dims));
  const index = dims.map(() => 0);
  for (let i = 0; i < values.length; i++) {
    values[i] = f(...readers.map((r) => r(index)));
    for (let d = dims.length - 1; d >= 0; d--) {
      if (++index[d]! < dims[d]!) break;
      index[d] = 0;
    }
  }
  return like(result, dims, values);
}

const ints = (t: TensorValues | undefined) => (t ? Array.from(t.values) : undefined);

function slice(data: TensorValues, inputs: (TensorValues | undefined)[]): TensorValues {
  const [starts, ends, axes, steps] = inputs.map(ints);
  const rank = data.dims.length;
  const begin = data.dims.map(() => 0);
  const step = data.dims.map(() => 1);
  const outDims = [...data.dims];
  (axes ?? starts!.map((_, i) => i)).forEach((rawAxis, i) => {
    const axis = normalizeAxis(rawAxis, rank);
    const dim = data.dims[axis]!;
    const s = steps?.[i] ?? 1;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + dim : v, lo), hi);
    const first = s > 0 ? clamp(starts![i]!, 0, dim) : clamp(starts![i]!, 0, dim - 1);
    const last = s > 0 ? clamp(ends![i]!, 0, dim) : clamp(ends![i]!, -1, dim - 1);
    begin[axis] = first;
    step[axis] = s;
    outDims[axis] = Math.max(0, Math.ceil((last - first) / s));
  });
  const strides = stridesOf(data.dims);
  return gatherBy(data, outDims, (index) =>
    index.reduce((acc, v, d) => acc + (begin[d]! + v * step[d]!) * strides[d]!, 0),
  );
}

/** Evaluates `op` on constant inputs (undefined: an omitted optional input). */
export function foldConstant(
  op: string,
  inputs: (TensorValues | undefined)[],
  attributes: OnnxAttributes,
): TensorValues {
  const [x, y] = inputs;
  switch (op) {
    case 'Identity':
      return x!;
    case 'Cast': {
      const to = attributes.int('to');
      const values = Array.from(x!.values, (v) =>
        to === DataType.FLOAT || to === DataType.DOUBLE ? v : to === DataType.BOOL ? Number(v !== 0) : Math.trunc(v),
      );
      return {
        dims: x!.dims,
        dataType: to,
        values: to === DataType.FLOAT || to === DataType.DOUBLE ? Float32Array.from(values) : Float64Array.from(values),
      };
    }
    case 'ConstantOfShape': {
      const fill = attributes.tensor('value') ?? { dims: [1], dataType: DataType.FLOAT, values: new Float32Array(1) };
      const dims = Array.from(x!.values);
      return like(fill, dims, new Array<number>(size(dims)).fill(fill.values[0] ?? 0));
    }
    case 'Concat': {
      const present = inputs.filter((t): t is TensorValues => !!t);
      const axis = normalizeAxis(attributes.int('axis'), present[0]!.dims.length);
      const outer = size(present[0]!.dims.slice(0, axis));
      const values: number[] = [];
      for (let o = 0; o < outer; o++)
        for (const t of present) {
          const inner = size(t.dims.slice(axis));
          for (let k = 0; k < inner; k++) values.push(t.values[o * inner + k]!);
        }
      const dims = [...present[0]!.dims];
      dims[axis] = present.reduce((sum, t) => sum + t.dims[axis]!, 0);
      return like(present[0]!, dims, values);
    }
    case 'Gather': {
      const axis = normalizeAxis(attributes.int('axis', 0), x!.dims.length);
      const indices = Array.from(y!.values, (i) => (i < 0 ? i + x!.dims[axis]! : i));
      const outDims = [...x!.dims.slice(0, axis), ...y!.dims, ...x!.dims.slice(axis + 1)];
      const strides = stridesOf(x!.dims);
      const indexStrides = stridesOf(y!.dims);
      return gatherBy(x!, outDims, (index) => {
        const at = index.slice(axis, axis + y!.dims.length).reduce((acc, v, d) => acc + v * indexStrides[d]!, 0);
        const source = [...index.slice(0, axis), indices[at]!, ...index.slice(axis + y!.dims.length)];
        return source.reduce((acc, v, d) => acc + v * strides[d]!, 0);
      });
    }
    case 'Unsqueeze': {
      const axes = ints(y) ?? attributes.ints('axes');
      const rank = x!.dims.length + axes.length;
      const normalized = new Set(axes.map((a) => normalizeAxis(a, rank)));
      const dims: number[] = [];
      let k = 0;
      for (let d = 0; d < rank; d++) dims.push(normalized.has(d) ? 1 : x!.dims[k++]!);
      return { ...x!, dims };
    }
    case 'Squeeze': {
      const axes = (ints(y) ?? attributes.ints('axes', [])).map((a) => normalizeAxis(a, x!.dims.length));
      return { ...x!, dims: x!.dims.filter((d, i) => (axes.length ? !axes.includes(i) : d !== 1)) };
    }
    case 'Reshape': {
      const target = Array.from(y!.values, (d, i) => (d === 0 ? x!.dims[i]! : d));
      const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return { ...x!, dims: target.map((d) => (d === -1 ? size(x!.dims) / known : d)) };
    }
    case 'Transpose': {
      const perm = attributes.ints(
        'perm',
        x!.dims.map((_, i) => x!.dims.length - 1 - i),
      );
      const strides = stridesOf(x!.dims);
      return gatherBy(
        x!,
        perm.map((p) => x!.dims[p]!),
        (index) => index.reduce((acc, v, d) => acc + v * strides[perm[d]!]!, 0),
      );
    }
    case 'Slice':
      return slice(x!, inputs.slice(1));
    case 'Expand': {
      const dims = broadcastDims(x!.dims, Array.from(y!.values));
      return gatherBy(
        x!,
        dims,
        (() => {
          const strides = stridesOf(x!.dims);
          const offset = dims.length - x!.dims.length;
          return (index: number[]) =>
            x!.dims.reduce((acc, d, i) => acc + (d === 1 ? 0 : index[i + offset]!) * strides[i]!, 0);
        })(),
      );
    }
    case 'Add':
      return elementwise([x!, y!], (a, b) => a + b);
    case 'Sub':
      return elementwise([x!, y!], (a, b) => a - b);
    case 'Mul':
      return elementwise([x!, y!], (a, b) => a * b);
    case 'Div':
      return elementwise([x!, y!], (a, b) => (isFloat(x!) ? a / b : Math.trunc(a / b)));
    case 'Neg':
      return like(
        x!,
        x!.dims,
        Array.from(x!.values, (v) => -v),
      );
    case 'Equal':
      return elementwise([x!, y!], (a, b) => Number(a === b), { ...x!, dataType: DataType.BOOL });
    case 'Where':
      return elementwise([x!, y!, inputs[2]!], (c, a, b) => (c ? a : b), y!);
    case 'Range': {
      const [start, limit, delta] = [x!.values[0]!, y!.values[0]!, inputs[2]!.values[0]!];
      const count = Math.max(Math.ceil((limit - start) / delta), 0);
      return like(
        x!,
        [count],
        Array.from({ length: count }, (_, i) => start + i * delta),
      );
    }
    default:
      throw new ModelFormatError(`constant folding has no rule for ${op}`);
  }
}
