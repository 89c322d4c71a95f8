// A record of every TensorFlow op one eager call makes through tfjs-node's binding, and the graph
// that repeats it.
//
// tfjs-node runs each TF.js kernel as eager TensorFlow ops (executeOp), so one call of a function
// on that backend is fully described by the ops it executed, the tensors it wrote from JavaScript
// and the tensors it found already there. The binding's methods are read-only properties of a
// native object, so the recorder stands in for the whole binding (an object that inherits the
// rest from it) during the call.
import * as tf from '@tensorflow/tfjs-core';
import type { OpAttr } from '../native-kernels.js';
import { type AttrValue, type NodeDef, shapeProto } from './saved-model.js';

type Values = Float32Array | Int32Array | Uint8Array;

export interface TensorMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

/** The parts of tfjs-node's binding the recorder and the compiled step use. */
export interface Binding {
  executeOp(op: string, attrs: OpAttr[], inputs: number[], outputs: number): TensorMetadata[];
  createTensor(shape: number[], dtype: number, values: Values): number;
  tensorDataSync(id: number): Values;
  loadSavedModel(dir: string, tags: string): number;
  deleteSavedModel(id: number): void;
  runSavedModel(id: number, inputs: number[], inputNames: string, outputNames: string): TensorMetadata[];
  isUsingGpuDevice(): boolean;
  TF_ATTR_STRING: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_SHAPE: number;
  TF_STRING: number;
}

/** tfjs-node's backend, with the members (two private in its typings) that map tensors to binding ids. */
export interface TracedBackend {
  binding: Binding;
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(metadata: TensorMetadata): tf.Tensor;
  getDTypeInteger(dtype: tf.DataType): number;
}

export interface TracedOp {
  op: string;
  attrs: OpAttr[];
  inputs: number[];
  outputs: number[];
}

export interface Trace {
  ops: TracedOp[];
  /** Shape and TensorFlow dtype of every tensor an op read or wrote. */
  tensors: Map<number, { shape: number[]; dtype: number }>;
  /** Values written from JavaScript during the call: the call's constants. */
  written: Map<number, Values>;
  /** The variables ops were given, by binding id (variables can share one). */
  variables: Map<number, tf.Variable>;
  /** Why the call cannot be repeated as a graph, when it cannot. */
  untraceable?: string;
}

let tracing = false;

/** Whether a call is being traced now (a compiled function called inside it runs op by op, traced with it). */
export function isTracing(): boolean {
  return tracing;
}

/** Runs `call` eagerly on `backend` and records the TensorFlow ops it makes. */
export function traceCall<T>(backend: TracedBackend, call: () => T): { result: T; trace: Trace } {
  const binding = backend.binding;
  const trace: Trace = { ops: [], tensors: new Map(), written: new Map(), variables: new Map() };
  const recorder: Binding = Object.create(binding, {
    executeOp: {
      value: (op: string, attrs: OpAttr[], inputs: number[], count: number) => {
        const outputs = binding.executeOp(op, attrs, inputs, count);
        for (const o of outputs) trace.tensors.set(o.id, { shape: o.shape, dtype: o.dtype });
        trace.ops.push({ op, attrs, inputs, outputs: outputs.map((o) => o.id) });
        return outputs;
      },
    },
    createTensor: {
      value: (shape: number[], dtype: number, values: Values) => {
        const id = binding.createTensor(shape, dtype, values);
        trace.tensors.set(id, { shape, dtype });
        trace.written.set(id, values.slice());
        return id;
      },
    },
    tensorDataSync: {
      value: (id: number) => {
        // A value read back to JavaScript (computed, an input, a variable) may steer what follows,
        // which a graph would not repeat; the call's own constants are safe to read.
        if (!trace.written.has(id)) trace.untraceable ??= "it reads a tensor's values back to JavaScript";
        return binding.tensorDataSync(id);
      },
    },
    runSavedModel: {
      value: (...args: Parameters<Binding['runSavedModel']>) => {
        trace.untraceable ??= 'it runs a graph inside';
        return binding.runSavedModel(...args);
      },
    },
  });
  const ids = backend.getInputTensorIds;
  backend.binding = recorder;
  // Shapes of tensors that existed before the call (weights, cached constants) as ops read them,
  // and which variable an op was given.
  backend.getInputTensorIds = (tensors) => {
    const found = ids.call(backend, tensors);
    tensors.forEach((t, i) => {
      if (!trace.tensors.has(found[i]!))
        trace.tensors.set(found[i]!, { shape: t.shape, dtype: backend.getDTypeInteger(t.dtype) });
      if (t instanceof tf.Variable) trace.variables.set(found[i]!, t);
    });
    return found;
  };
  tracing = true;
  try {
    return { result: call(), trace };
  } finally {
    tracing = false;
    backend.binding = binding;
    delete (backend as Partial<TracedBackend>).getInputTensorIds;
  }
}

/**
 * The graph of `trace`: a Placeholder `feed_k` for each of `feeds` (binding ids), a Const for
 * every other tensor the ops read that they did not make, and the ops needed for `fetches`.
 * Returns the nodes and each fetch's output name.
 */
export function graphOf(
  binding: Binding,
  trace: Trace,
  feeds: number[],
  fetches: number[],
): { nodes: NodeDef[]; outputs: string[] } {
  const producer = producers(trace);
  const feedIndex = new Map(feeds.map((id, k) => [id, k]));
  const needed = new Set<number>();
  const leaves = new Set<number>();
  const pending = [...fetches];
  while (pending.length > 0) {
    const id = pending.pop()!;
    const made = producer.get(id);
    if (!made) leaves.add(id);
    else if (!needed.has(made.op)) {
      needed.add(made.op);
      pending.push(...trace.ops[made.op]!.inputs);
    }
  }
  // Constants are named by their order, not their ids, so that two traces of one call make one graph.
  const constants = new Map([...leaves].filter((id) => !feedIndex.has(id)).map((id, k) => [id, `const_${k}`]));
  const name = (id: number): string => {
    const made = producer.get(id);
    if (made) return `op_${made.op}:${made.slot}`;
    return feedIndex.has(id) ? `feed_${feedIndex.get(id)}` : constants.get(id)!;
  };
  const nodes: NodeDef[] = feeds.map((id, k) => {
    const { shape, dtype } = known(trace, id);
    const attr: Record<string, AttrValue> = { dtype: { type: dtype }, shape: { shape: shapeProto(shape) } };
    return { name: `feed_${k}`, op: 'Placeholder', input: [], attr };
  });
  for (const id of constants.keys()) {
    const { shape, dtype } = known(trace, id);
    if (dtype === binding.TF_STRING) throw new Error('traced graph: a string constant, which graphs here do not write');
    const values = trace.written.get(id) ?? binding.tensorDataSync(id);
    const tensorContent = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    const tensor = { dtype, tensorShape: shapeProto(shape), tensorContent };
    nodes.push({
      name: constants.get(id)!,
      op: 'Const',
      input: [],
      attr: { dtype: { type: dtype }, value: { tensor } },
    });
  }
  [...needed]
    .sort((a, b) => a - b)
    .forEach((i) => {
      const op = trace.ops[i]!;
      const attr = Object.fromEntries(op.attrs.map((a) => [a.name, attrValue(binding, a)]));
      nodes.push({ name: `op_${i}`, op: op.op, input: op.inputs.map(name), attr });
    });
  return { nodes, outputs: fetches.map(name) };
}

/** Which op (its index in the trace) made each tensor, and which of its outputs it is. */
export function producers(trace: Trace): Map<number, { op: number; slot: number }> {
  return new Map(trace.ops.flatMap((op, i) => op.outputs.map((id, slot) => [id, { op: i, slot }] as const)));
}

function known(trace: Trace, id: number): { shape: number[]; dtype: number } {
  const found = trace.tensors.get(id);
  if (!found) throw new Error(`traced graph: tensor ${id} was read but its shape was not recorded`);
  return found;
}

const utf8 = new TextEncoder();

/** An eager op attribute (tfjs-node's TFEOpAttr) as a graph's AttrValue; a list when its value is an array. */
function attrValue(binding: Binding, attr: OpAttr): AttrValue {
  const { type, value } = attr;
  const list = Array.isArray(value);
  switch (type) {
    case binding.TF_ATTR_STRING:
      return list
        ? { list: { s: (value as string[]).map((s) => utf8.encode(s)) } }
        : { s: utf8.encode(value as string) };
    case binding.TF_ATTR_INT:
      return list ? { list: { i: value as number[] } } : { i: value as number };
    case binding.TF_ATTR_FLOAT:
      return list ? { list: { f: value as number[] } } : { f: value as number };
    case binding.TF_ATTR_BOOL:
      return list ? { list: { b: value as boolean[] } } : { b: value as boolean };
    case binding.TF_ATTR_TYPE:
      return list ? { list: { type: value as number[] } } : { type: value as number };
    case binding.TF_ATTR_SHAPE:
      return { shape: shapeProto(value as number[]) };
    default:
      throw new Error(`traced graph: attribute ${attr.name} has type ${type}, which graphs here do not write`);
  }
}
