// The ONNX file format: ModelProto read and written with protobufjs from the schema shipped with
// this library (schemas/onnx.proto, the ONNX project's own), and tensors as typed arrays.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { ModelFormatError } from '../metadata.js';

// src/onnx and dist/onnx are both two levels below the library's root.
const SCHEMA = fileURLToPath(new URL('../../schemas/onnx.proto', import.meta.url));

/** TensorProto.DataType values this library reads or writes. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, DOUBLE: 11 } as const;

export interface TensorProto {
  name?: string;
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  rawData?: Uint8Array;
  externalData?: { key: string; value: string }[];
  dataLocation?: number;
}

export interface AttributeProto {
  name: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
}

export interface NodeProto {
  name?: string;
  opType: string;
  domain?: string;
  input?: string[];
  output?: string[];
  attribute?: AttributeProto[];
}

export interface ValueInfoProto {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: { dimValue?: number; dimParam?: string }[] } } };
}

export interface GraphProto {
  name?: string;
  node?: NodeProto[];
  initializer?: TensorProto[];
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
}

export interface ModelProto {
  irVersion?: number;
  opsetImport?: { domain?: string; version?: number }[];
  producerName?: string;
  producerVersion?: string;
  graph?: GraphProto;
  metadataProps?: { key: string; value: string }[];
}

let modelType: protobuf.Type | undefined;
function modelProtoType(): protobuf.Type {
  modelType ??= protobuf.loadSync(SCHEMA).lookupType('onnx.ModelProto');
  return modelType;
}

/** Decodes an ONNX file's bytes; `file` names it in errors. */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  let message: protobuf.Message;
  try {
    message = modelProtoType().decode(bytes);
  } catch (error) {
    throw new ModelFormatError(
      `${file}: not a readable ONNX model (${(error as Error).message}); truncated or not ONNX?`,
    );
  }
  const model = modelProtoType().toObject(message, { longs: Number, enums: Number, defaults: false }) as ModelProto;
  if (!model.graph?.node?.length)
    throw new ModelFormatError(`${file}: an ONNX model without a graph (or with no nodes); is it an ONNX model file?`);
  return model;
}

export function encodeModel(model: ModelProto): Uint8Array {
  const type = modelProtoType();
  return type.encode(type.fromObject(model as Record<string, unknown>)).finish();
}

/** A tensor's values: floats as Float32Array, integers and booleans as Float64Array (exact to 2^53). */
export interface TensorValues {
  dims: number[];
  dataType: number;
  values: Float32Array | Float64Array;
}

/**
 * The values of `tensor`; external data (`location` beside the model file) is read from
 * `modelDir`, never from elsewhere.
 */
export function tensorValues(tensor: TensorProto, modelDir: string, what: string): TensorValues {
  const dims = tensor.dims ?? [];
  const count = dims.reduce((a, b) => a * b, 1);
  const dataType = tensor.dataType ?? 0;
  let raw = tensor.rawData;
  if (tensor.dataLocation === 1) raw = readExternal(tensor, modelDir, what);
  const values = raw?.length ? fromRaw(raw, dataType, what) : fromTyped(tensor, dataType, what);
  if (values.length !== count)
    throw new ModelFormatError(`${what}: has ${values.length} values, its shape [${dims.join(', ')}] needs ${count}`);
  return { dims, dataType, values };
}

function readExternal(tensor: TensorProto, modelDir: string, what: string): Uint8Array {
  const entry = (key: string) => tensor.externalData?.find((e) => e.key === key)?.value;
  const location = entry('location') ?? '';
  const file = path.join(modelDir, location);
  if (!fs.existsSync(file)) throw new ModelFormatError(`${what}: its external data file ${file} is missing`);
  // Resolved, links included: a link beside the model that points elsewhere is refused too.
  const real = fs.realpathSync(file);
  if (
    !location ||
    path.isAbsolute(location) ||
    path.dirname(real) !== fs.realpathSync(modelDir) ||
    !fs.statSync(real).isFile()
  )
    throw new ModelFormatError(`${what}: external data location "${location}" must be a file beside the model`);
  const size = fs.statSync(real).size;
  const offset = Number(entry('offset') ?? 0);
  const length = entry('length') != null ? Number(entry('length')) : size - offset;
  if (![offset, length].every((n) => Number.isSafeInteger(n) && n >= 0) || offset + length > size)
    throw new ModelFormatError(
      `${what}: needs bytes ${entry('offset')}..+${entry('length')} of ${file}, which has ${size}`,
    );
  const bytes = Buffer.alloc(length);
  const fd = fs.openSync(real, 'r');
  try {
    fs.readSync(fd, bytes, 0, length, offset);
  } finally {
    fs.closeSync(fd);
  }
  return bytes;
}

function fromRaw(raw: Uint8Array, dataType: number, what: string): Float32Array | Float64Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const read = (size: number, get: (offset: number) => number) => {
    if (raw.byteLength % size !== 0)
      throw new ModelFormatError(`${what}: raw data of ${raw.byteLength} bytes is not a whole number of elements`);
    const out = new Float64Array(raw.byteLength / size);
    for (let i = 0; i < out.length; i++) out[i] = get(i * size);
    return out;
  };
  switch (dataType) {
    case DataType.FLOAT:
      // Little-endian like every machine we run on: a copy viewed as floats.
      if (raw.byteLength % 4 !== 0)
        throw new ModelFormatError(`${what}: raw data of ${raw.byteLength} bytes is not whole floats`);
      return new Float32Array(Uint8Array.from(raw).buffer);
    case DataType.DOUBLE:
      return Float32Array.from(read(8, (o) => view.getFloat64(o, true)));
    case DataType.INT64:
      return read(8, (o) => Number(view.getBigInt64(o, true)));
    case DataType.INT32:
      return read(4, (o) => view.getInt32(o, true));
    case DataType.INT8:
      return read(1, (o) => view.getInt8(o));
    case DataType.UINT8:
    case DataType.BOOL:
      return read(1, (o) => view.getUint8(o));
    default:
      throw new ModelFormatError(
        `${what}: tensor data type ${dataType} is not supported (float, double, int, bool are)`,
      );
  }
}

function fromTyped(tensor: TensorProto, dataType: number, what: string): Float32Array | Float64Array {
  switch (dataType) {
    case DataType.FLOAT:
      return Float32Array.from(tensor.floatData ?? []);
    case DataType.DOUBLE:
      return Float32Array.from(tensor.doubleData ?? []);
    case DataType.INT64:
      return Float64Array.from(tensor.int64Data ?? []);
    case DataType.INT32:
    case DataType.INT8:
    case DataType.UINT8:
    case DataType.BOOL:
      return Float64Array.from(tensor.int32Data ?? []);
    default:
      throw new ModelFormatError(
        `${what}: tensor data type ${dataType} is not supported (float, double, int, bool are)`,
      );
  }
}

/** A float32 initializer for export. */
export function floatTensor(name: string, dims: number[], values: Float32Array): TensorProto {
  return {
    name,
    dims,
    dataType: DataType.FLOAT,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  };
}

/** An int64 initializer for export (shapes, pads, axes). */
export function int64Tensor(name: string, values: number[]): TensorProto {
  return { name, dims: [values.length], dataType: DataType.INT64, int64Data: values };
}
