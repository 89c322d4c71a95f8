// ONNX import: a CNN graph as PyTorch's exporters write it becomes a TF.js functional model, so
// every structure, criterion and surgery works on it. Constant subgraphs are folded first; each
// remaining node is lowered to layers by its rule (onnx-lowering.ts); anything else is refused by
// operator and node name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tfl } from '@prune/compute';
import { ModelFormatError } from '../metadata.js';
import { OptionAShortcut } from '../option-a-shortcut.js';
import type { LoadedModel } from '../layers-format.js';
import type { Preprocessing } from '../preprocessing.js';
import { OnnxAttributes } from './onnx-attributes.js';
import { PREPROCESSING_KEY } from './onnx-export.js';
import { FOLDABLE_OPS, foldConstant } from './onnx-constants.js';
import { LOWERING_RULES, SUPPORTED_OPS, type LoweringContext } from './onnx-lowering.js';
import { decodeModel, tensorValues, type GraphProto, type NodeProto } from './onnx-proto.js';
import type { Activation, OnnxValue } from './onnx-values.js';

/** The oldest opset whose operator signatures (Slice, Pad, Clip take inputs) we read. */
const MIN_OPSET = 11;

export async function loadOnnxModel(file: string): Promise<LoadedModel> {
  return importOnnx(fs.readFileSync(file), file);
}

/**
 * Builds the TF.js model of the ONNX model in `bytes` (`file` names it and locates external data).
 * The preprocessing is the one our export recorded in the file, if any: never guessed.
 */
export function importOnnx(bytes: Uint8Array, file: string): LoadedModel {
  const proto = decodeModel(bytes, file);
  const opset = proto.opsetImport?.find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0;
  if (opset < MIN_OPSET)
    throw new ModelFormatError(
      `${file}: ONNX opset ${opset}; opset ${MIN_OPSET} or later is supported (re-export with opset_version=17)`,
    );
  const model = new GraphImporter(proto.graph!, file).build(proto.graph!.name ?? path.basename(file, '.onnx'));
  const declared = proto.metadataProps?.find((p) => p.key === PREPROCESSING_KEY)?.value;
  return {
    model,
    metadata: { source: file, ...(declared ? { preprocessing: recordedPreprocessing(declared, file) } : {}) },
  };
}

class GraphImporter implements LoweringContext {
  private readonly values = new Map<string, OnnxValue>();
  private readonly consumers = new Map<string, NodeProto[]>();
  private readonly lowered = new Set<NodeProto>();
  private readonly usedNames = new Set<string>();
  private readonly modelDir: string;
  private readonly inputs: tfl.SymbolicTensor[] = [];

  constructor(
    private readonly graph: GraphProto,
    private readonly file: string,
  ) {
    this.modelDir = path.dirname(file);
    for (const node of graph.node ?? [])
      for (const input of node.input ?? []) this.consumers.set(input, [...(this.consumers.get(input) ?? []), node]);
  }

  build(name: string): tfl.LayersModel {
    for (const init of this.graph.initializer ?? [])
      this.values.set(init.name!, {
        kind: 'constant',
        tensor: tensorValues(init, this.modelDir, `${this.file}: initializer ${init.name}`),
      });
    this.declareInputs();
    for (const node of this.graph.node ?? []) if (!this.lowered.has(node)) this.lower(node);
    const outputs = (this.graph.output ?? []).map((o) => this.activation(o.name, `graph output ${o.name}`).tensor);
    if (!outputs.length) throw new ModelFormatError(`${this.file}: the graph declares no outputs`);
    return tfl.model({ inputs: this.inputs, outputs, name: sanitize(name) || 'onnx_model' });
  }

  private declareInputs(): void {
    for (const input of this.graph.input ?? []) {
      if (this.values.has(input.name)) continue; // an initializer listed as an input (IR < 4)
      const dims = (input.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimValue ? Number(d.dimValue) : null));
      const where = `${this.file}: graph input "${input.name}"`;
      if (dims.length !== 4 && dims.length !== 2)
        throw new ModelFormatError(
          `${where} has ${dims.length} dimensions; expected [N, C, H, W] images or [N, F] features`,
        );
      if (dims.slice(1).some((d) => d == null))
        throw new ModelFormatError(
          `${where} has shape [${dims.map((d) => d ?? '?').join(', ')}]; all but the batch dimension must be fixed`,
        );
      // An image input is NCHW, unless its only use is a transpose from NHWC (a channels-last export).
      const users = this.consumers.get(input.name) ?? [];
      const channelsLast = users.length === 1 && users[0]!.opType === 'Transpose' && isPerm(users[0]!, [0, 3, 1, 2]);
      const [, a, b, c] = dims as number[];
      const shape = dims.length === 2 ? [a!] : channelsLast ? [a!, b!, c!] : [b!, c!, a!];
      const tensor = tfl.input({ shape, name: this.layerName(input.name) });
      this.inputs.push(tensor);
      this.values.set(input.name, { kind: 'activation', tensor, nonNegative: false, channelsLast });
    }
    if (this.inputs.length !== 1)
      throw new ModelFormatError(`${this.file}: the graph has ${this.inputs.length} data inputs; one is supported`);
  }

  private lower(node: NodeProto): void {
    const where = this.describe(node);
    if (node.domain && node.domain !== 'ai.onnx')
      throw new ModelFormatError(`${where}: operators of domain "${node.domain}" are not supported`);
    const inputs = (node.input ?? []).map((name) => {
      if (!name) return undefined; // an omitted optional input
      const value = this.values.get(name);
      if (!value)
        throw new ModelFormatError(
          `${where}: its input "${name}" is not computed before it (the graph is not in order)`,
        );
      return value;
    });
    const attributes = new OnnxAttributes(node, where, this.modelDir);
    if (node.opType === 'Constant') {
      const tensor = constantAttribute(attributes, where);
      return this.define(node, { kind: 'constant', tensor });
    }
    if (FOLDABLE_OPS.has(node.opType) && inputs.every((v) => !v || v.kind === 'constant')) {
      const constants = inputs.map((v) => (v?.kind === 'constant' ? v.tensor : undefined));
      try {
        return this.define(node, { kind: 'constant', tensor: foldConstant(node.opType, constants, attributes) });
      } catch (error) {
        if (error instanceof ModelFormatError) throw error;
        throw new ModelFormatError(
          `${where}: could not evaluate it on its constant inputs (${(error as Error).message})`,
        );
      }
    }
    const rule = LOWERING_RULES[node.opType];
    if (!rule)
      throw new ModelFormatError(
        `${where}: the operator ${node.opType} is not supported on activations (supported: ${SUPPORTED_OPS.join(', ')})`,
      );
    try {
      rule(node, inputs, attributes, this);
    } catch (error) {
      if (error instanceof ModelFormatError) throw error;
      throw new ModelFormatError(`${where}: ${(error as Error).message}`);
    }
    this.lowered.add(node);
  }

  // LoweringContext

  define(node: NodeProto, value: OnnxValue): void {
    this.values.set(node.output![0]!, value);
    this.lowered.add(node);
  }

  describe(node: NodeProto): string {
    return `${this.file}: node "${node.name || node.output?.[0]}" (${node.opType})`;
  }

  activation(name: string, what: string): Activation {
    const value = this.values.get(name);
    if (!value) throw new ModelFormatError(`${this.file}: ${what} is not computed by any node`);
    if (value.kind === 'constant')
      throw new ModelFormatError(`${this.file}: ${what} is a constant, expected a value computed from the input`);
    if (value.kind === 'activation') return value;
    return this.materializeSubsample(name, value.source, value.strideH, value.strideW, what);
  }

  private materializeSubsample(name: string, source: Activation, strideH: number, strideW: number, what: string) {
    if (strideH !== strideW)
      throw new ModelFormatError(
        `${this.file}: ${what} subsamples with steps ${strideH} and ${strideW}; equal steps are supported`,
      );
    const layer = new OptionAShortcut({
      padBefore: 0,
      padAfter: 0,
      stride: strideH,
      name: this.layerName(`${name}.subsample`),
    });
    const tensor = layer.apply(source.tensor) as tfl.SymbolicTensor;
    const value: Activation = { kind: 'activation', tensor, nonNegative: source.nonNegative };
    this.values.set(name, value);
    return value;
  }

  consumersOf(name: string): NodeProto[] {
    return this.consumers.get(name) ?? [];
  }

  markLowered(node: NodeProto): void {
    this.lowered.add(node);
  }

  isGraphOutput(name: string): boolean {
    return (this.graph.output ?? []).some((o) => o.name === name);
  }

  layerName(base: string): string {
    const clean = sanitize(base) || 'layer';
    let name = clean;
    for (let i = 2; this.usedNames.has(name); i++) name = `${clean}_${i}`;
    this.usedNames.add(name);
    return name;
  }

  value(name: string): OnnxValue | undefined {
    return this.values.get(name);
  }
}

function recordedPreprocessing(json: string, file: string): Preprocessing {
  try {
    const value = JSON.parse(json) as Preprocessing;
    if (value.kind === 'channel-mean-std' || value.kind === 'pixel-mean') return value;
  } catch {
    // reported below
  }
  throw new ModelFormatError(
    `${file}: metadata ${PREPROCESSING_KEY} is not a preprocessing; declare it with --preprocessing`,
  );
}

function isPerm(node: NodeProto, perm: number[]): boolean {
  return (
    node.attribute
      ?.find((a) => a.name === 'perm')
      ?.ints?.map(Number)
      .join() === perm.join()
  );
}

/** A layer name from an ONNX name: "/layer1/layer1.0/conv1/Conv" becomes "layer1.layer1.0.conv1.Conv". */
function sanitize(name: string): string {
  return name
    .replace(/^[/:]+/, '')
    .replace(/[/:]/g, '.')
    .replace(/[^A-Za-z0-9_.-]/g, '_');
}

function constantAttribute(attributes: OnnxAttributes, where: string) {
  const tensor = attributes.tensor('value');
  if (tensor) return tensor;
  if (attributes.has('value_float'))
    return { dims: [], dataType: 1, values: Float32Array.of(attributes.float('value_float')) };
  if (attributes.has('value_floats')) {
    const values = Float32Array.from(attributes.floats('value_floats'));
    return { dims: [values.length], dataType: 1, values };
  }
  if (attributes.has('value_int'))
    return { dims: [], dataType: 7, values: Float64Array.of(attributes.int('value_int')) };
  if (attributes.has('value_ints')) {
    const values = Float64Array.from(attributes.ints('value_ints'));
    return { dims: [values.length], dataType: 7, values };
  }
  throw new ModelFormatError(`${where}: a Constant without a value, value_float(s) or value_int(s) attribute`);
}
