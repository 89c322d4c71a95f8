// A function of tensors run as one TensorFlow graph instead of op by op, on the native backend.
//
// Why: eager TensorFlow pays a fixed cost per op (about 10 µs for a small op, 0.3 ms for a
// convolution's oneDNN wrapper) and a training step of a ResNet is about 800 ops, most of them
// small (the optimizer alone is about 400). A step on 32 images cost 0.62-0.64 of one on 64.
// TensorFlow's graph executor runs the same kernels with almost no cost per op.
//
// How: calls 1 and 2 (counting from 0) are traced (trace.ts) while they run; call 0 runs plainly
// first, so that lazily made state (an optimizer's accumulators) exists. When both traces made the
// same ops from the same constants, the second becomes a graph: the call's input tensors and the
// variables it reads are fed, its results and the variables' new values are fetched and assigned.
// Everything else it read is a constant of the graph, so a function must keep what changes between
// calls in its inputs or in variables. A call that cannot be repeated as a graph (it reads a tensor
// back to JavaScript, or its constants change) keeps running eagerly, and `state` says why.
//
// Which calls run as a graph depends only on their index: a job resumed at step 5 passes 5, repeats
// calls 0-2 as rehearsals whose effects are undone, and runs step 5 as a graph, as the uninterrupted
// job did; so a resumed job ends with the weights of an uninterrupted one.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { nativeBackend } from '../native-kernels.js';
import { graphsSetting } from '../settings.js';
import { SERVE_TAG, writeSavedModel } from './saved-model.js';
import { type Trace, type TracedBackend, graphOf, isTracing, producers, traceCall } from './trace.js';

export type StepFunction = (inputs: tf.Tensor[]) => tf.Tensor[];

/** Calls before the first that runs as a graph: one plain, two traced. */
const EAGER_CALLS = 3;

export interface CompiledStep {
  /**
   * Runs the function. `index` is the call's position in the whole run, counted from 0 (default:
   * this process's count of calls with these shapes); calls from the fourth on run as a graph.
   */
  (inputs: tf.Tensor[], index?: number): tf.Tensor[];
  /** How the next call like the last one will run: 'graph', 'tracing', or 'eager: <why>' ('' before any call). */
  state(): string;
  /** Releases the graphs' sessions. */
  dispose(): void;
}

/** One traced call: its trace and what it read and wrote. */
interface Traced {
  trace: Trace;
  inputIds: number[];
  resultIds: number[];
  /** Variables read, with their ids before the call. */
  reads: Map<tf.Variable, number>;
  /** Variables assigned, with their ids after the call. */
  writes: Map<tf.Variable, number>;
  /** Whether the call made a variable (it cannot be repeated, nor undone). */
  madeVariables: boolean;
  /** The call's ops, inputs and constants, hashed: equal for two calls that make the same graph. */
  program: string;
}

interface Graph {
  session: number;
  reads: tf.Variable[];
  writes: tf.Variable[];
  feedNames: string;
  fetchNames: string;
  results: number;
}

type Plan = { calls: number; previous?: Traced; graph?: Graph; eager?: string };

/** `fn` compiled to a graph per shape of its inputs on native TensorFlow; run as it is on other backends. */
export function compileStep(fn: StepFunction): CompiledStep {
  const backend = nativeBackend<TracedBackend>();
  const off = whyOpByOp(backend);
  const plans = new Map<string, Plan>();
  let last: Plan | undefined;
  const keyOf = (inputs: tf.Tensor[]): string => inputs.map((t) => `${t.dtype}[${t.shape.join(',')}]`).join(' ');
  const planOf = (inputs: tf.Tensor[]): Plan => {
    const key = keyOf(inputs);
    let plan = plans.get(key);
    if (!plan) plans.set(key, (plan = { calls: 0, ...(off ? { eager: off } : {}) }));
    return plan;
  };
  /** Takes in a traced call: the plan becomes eager, gets its graph, or keeps the trace for the next. */
  const consider = (plan: Plan, traced: Traced): void => {
    if (traced.madeVariables) plan.previous = undefined;
    else if (traced.trace.untraceable) plan.eager = traced.trace.untraceable;
    else if (plan.previous && plan.previous.program !== traced.program)
      plan.eager = 'two calls made different ops or constants';
    else if (plan.previous) {
      try {
        plan.graph = loadGraph(backend!, traced);
      } catch (error) {
        plan.eager = `its graph did not load (${firstLine(error)})`;
      }
    }
    plan.previous = plan.graph || plan.eager ? undefined : traced;
  };
  /**
   * Repeats what calls 0 to 2 of a run do (one plain call, two traced), each undone afterwards,
   * until the plan has a graph or is eager. A call that made a variable cannot be undone: it is kept
   * as the call itself, and returned. Rehearsals run on one batch, so they catch what differs
   * between two calls on the same inputs (randomness), not what depends on the inputs.
   */
  const rehearse = (plan: Plan, inputs: tf.Tensor[]): tf.Tensor[] | undefined => {
    for (let rehearsal = 0; !plan.graph && !plan.eager; rehearsal++) {
      const saved = new Map(Object.values(variables()).map((v) => [v, tf.clone(v)] as const));
      try {
        const count = saved.size;
        const { outputs, traced } =
          rehearsal === 0 ? { outputs: fn(inputs), traced: undefined } : traceStep(backend!, fn, inputs);
        if (Object.keys(variables()).length !== count || traced?.madeVariables) return outputs;
        for (const [v, value] of saved) if (!v.isDisposed) v.assign(value);
        tf.dispose(outputs);
        if (traced) consider(plan, traced);
      } finally {
        tf.dispose([...saved.values()]);
      }
    }
    return undefined;
  };
  const step = (inputs: tf.Tensor[], index?: number): tf.Tensor[] => {
    // Inside another function's trace: op by op, so that its trace records the ops.
    if (isTracing()) return fn(inputs);
    const plan = (last = planOf(inputs));
    const call = index ?? plan.calls;
    plan.calls++;
    if (call >= EAGER_CALLS && !plan.graph && !plan.eager) {
      const kept = rehearse(plan, inputs);
      if (kept) return kept;
    }
    if (plan.graph) {
      try {
        return runGraph(backend!, plan.graph, inputs);
      } catch (error) {
        // Nothing was assigned: the call runs op by op, and so do the next.
        backend!.binding.deleteSavedModel(plan.graph.session);
        plan.graph = undefined;
        plan.eager = `its graph failed to run (${firstLine(error)})`;
      }
    }
    if (plan.eager || call === 0) return fn(inputs);
    const { outputs, traced } = traceStep(backend!, fn, inputs);
    consider(plan, traced);
    return outputs;
  };
  return Object.assign(step, {
    state: () => (!last ? '' : last.graph ? 'graph' : last.eager ? `eager: ${last.eager}` : 'tracing'),
    dispose: () => {
      for (const plan of plans.values()) if (plan.graph) backend!.binding.deleteSavedModel(plan.graph.session);
      plans.clear();
      last = undefined;
    },
  });
}

/** Why calls run op by op whatever they do, if they must. */
function whyOpByOp(backend: TracedBackend | undefined): string | undefined {
  if (!backend) return 'not on native TensorFlow';
  if (!graphsSetting()) return 'PRUNE_GRAPHS=off';
  // Sessions in one process share TensorFlow's inter-op pool (PRUNE_THREADS threads): replicas'
  // graphs in worker threads would take turns on it, where op by op they run side by side.
  if (!isMainThread) return 'in a worker thread (graphs there would share one inter-op pool)';
  // tfjs-node's binding hands a session its inputs as host tensors (TFE_TensorHandleResolve): on a
  // GPU every weight would cross to the host and back at each call. Untried there.
  if (backend.binding.isUsingGpuDevice()) return 'on a GPU (the binding feeds a graph through host memory)';
  return undefined;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

function variables(): Record<string, tf.Variable> {
  return tf.engine().registeredVariables;
}

/** Every registered variable's binding id. */
function variableIds(backend: TracedBackend): Map<tf.Variable, number> {
  const all = Object.values(variables());
  const ids = backend.getInputTensorIds(all);
  return new Map(all.map((v, i) => [v, ids[i]!]));
}

function traceStep(
  backend: TracedBackend,
  fn: StepFunction,
  inputs: tf.Tensor[],
): { outputs: tf.Tensor[]; traced: Traced } {
  const before = variableIds(backend);
  const inputIds = backend.getInputTensorIds(inputs);
  const { result: outputs, trace } = traceCall(backend, () => fn(inputs));
  const after = variableIds(backend);
  const resultIds = backend.getInputTensorIds(outputs);
  const writes = new Map<tf.Variable, number>();
  let madeVariables = false;
  for (const [v, id] of after) {
    if (!before.has(v)) madeVariables = true;
    else if (before.get(v) !== id) writes.set(v, id);
  }
  // Variables can share a tensor (one assigned another's value): a read is the variable the op was
  // given, else the only one holding the tensor; else it is ambiguous.
  const holders = new Map<number, tf.Variable[]>();
  for (const [v, id] of before) holders.set(id, [...(holders.get(id) ?? []), v]);
  const reads = new Map<tf.Variable, number>();
  const producer = producers(trace);
  const inputIndex = new Map(inputIds.map((id, k) => [id, k]));
  const label = (id: number): string => {
    const made = producer.get(id);
    if (made) return `@${made.op}:${made.slot}`;
    if (inputIndex.has(id)) return `input ${inputIndex.get(id)}`;
    const candidates = holders.get(id);
    if (candidates) {
      const given = trace.variables.get(id);
      const chosen = given ? [given] : candidates;
      if (chosen.length !== 1) trace.untraceable ??= `variables ${candidates.map((v) => v.name)} share a tensor`;
      const variable = chosen[0] ?? candidates[0]!;
      reads.set(variable, id);
      return `variable ${variable.name}`;
    }
    const { shape, dtype } = trace.tensors.get(id)!;
    const values = trace.written.get(id) ?? backend.binding.tensorDataSync(id);
    return `const ${dtype} [${shape}] ${createHash('sha1').update(values).digest('hex')}`;
  };
  const lines = trace.ops.map((op) => `${op.op} ${JSON.stringify(op.attrs)} ${op.inputs.map(label).join(', ')}`);
  lines.push(`results ${resultIds.map(label).join(', ')}`);
  lines.push(`writes ${[...writes].map(([v, id]) => `${v.name}=${label(id)}`).join(', ')}`);
  const program = createHash('sha1').update(lines.join('\n')).digest('hex');
  return { outputs, traced: { trace, inputIds, resultIds, reads, writes, madeVariables, program } };
}

function loadGraph(backend: TracedBackend, traced: Traced): Graph {
  const feeds = [...traced.inputIds, ...traced.reads.values()];
  const fetches = [...traced.resultIds, ...traced.writes.values()];
  const { nodes, outputs } = graphOf(backend.binding, traced.trace, feeds, fetches);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-step-'));
  try {
    writeSavedModel(dir, nodes);
    const session = backend.binding.loadSavedModel(dir, SERVE_TAG);
    return {
      session,
      reads: [...traced.reads.keys()],
      writes: [...traced.writes.keys()],
      feedNames: feeds.map((_, k) => `feed_${k}:0`).join(','),
      fetchNames: outputs.join(','),
      results: traced.resultIds.length,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runGraph(backend: TracedBackend, graph: Graph, inputs: tf.Tensor[]): tf.Tensor[] {
  const ids = backend.getInputTensorIds([...inputs, ...graph.reads]);
  const fetched = backend.binding
    .runSavedModel(graph.session, ids, graph.feedNames, graph.fetchNames)
    .map((m) => backend.createOutputTensor(m));
  graph.writes.forEach((v, j) => {
    const value = fetched[graph.results + j]!;
    v.assign(value);
    value.dispose();
  });
  return fetched.slice(0, graph.results);
}
