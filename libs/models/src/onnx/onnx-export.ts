// ONNX export of any model we hold (parent, candidate, pruned result): one rule per layer class
// writes NCHW operators (opset 17) with weights transposed from TF.js layouts. The input is NCHW
// like a PyTorch export, or NHWC with one Transpose when asked; a 4-D output keeps that layout.
import { tf, tfl } from '@prune/compute';
import { InvalidArgumentError } from '@prune/errors';
import { writeFileAtomic } from '@prune/store';
import { LayerGraph, type LayerNode } from '../layer-graph.js';
import type { ModelMetadata } from '../metadata.js';
import type { OptionAShortcut } from '../option-a-shortcut.js';
import { convKernelPermutations, samePads } from './onnx-values.js';
import { batchNormParameters } from '../layer-rules/batch-normalization.js';
import {
  encodeModel,
  floatTensor,
  int64Tensor,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-proto.js';

export const ONNX_OPSET = 17;
/** The metadata_props key under which a model's declared preprocessing travels. */
export const PREPROCESSING_KEY = 'prune.preprocessing';

export interface OnnxExportOptions {
  /** Layout of the exported model's image input (and 4-D outputs); default NCHW. */
  layout?: 'nchw' | 'nhwc';
}

export function saveOnnxModel(
  file: string,
  model: tfl.LayersModel,
  metadata?: ModelMetadata,
  options?: OnnxExportOptions,
): void {
  writeFileAtomic(file, exportOnnx(model, metadata, options));
}

export function exportOnnx(
  model: tfl.LayersModel,
  metadata?: ModelMetadata,
  options: OnnxExportOptions = {},
): Uint8Array {
  const writer = new OnnxWriter(model, options.layout ?? 'nchw');
  const graph = LayerGraph.of(model);
  for (const node of graph.ordered()) writer.layer(node);
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'prune-everything',
    graph: {
      name: model.name,
      node: writer.nodes,
      initializer: writer.initializers,
      input: writer.inputs,
      output: graph.outputs.map((name) => writer.output(name)),
    },
    metadataProps: metadata?.preprocessing
      ? [{ key: PREPROCESSING_KEY, value: JSON.stringify(metadata.preprocessing) }]
      : [],
  });
}

const INT64_MAX = Number.MAX_SAFE_INTEGER;

class OnnxWriter {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly inputs: ValueInfoProto[] = [];
  /** The ONNX value holding each layer's output. */
  private readonly valueOf = new Map<string, string>();
  private readonly rank = new Map<string, number>();

  constructor(
    private readonly model: tfl.LayersModel,
    private readonly layout: 'nchw' | 'nhwc',
  ) {}

  layer(node: LayerNode): void {
    const rule = EXPORT_RULES[node.className];
    if (!rule)
      throw new InvalidArgumentError(
        `layer "${node.name}" (${node.className}) has no ONNX export; exportable: ${Object.keys(EXPORT_RULES).join(', ')}`,
      );
    const out = rule(this, node, this.model.getLayer(node.name));
    this.valueOf.set(node.name, out);
    this.rank.set(node.name, node.outputShape.length + 1);
  }

  input(node: LayerNode, index = 0): string {
    return this.valueOf.get(node.inputs[index]!)!;
  }

  inputRank(node: LayerNode, index = 0): number {
    return this.rank.get(node.inputs[index]!)!;
  }

  /** Adds an operator; its output is named `output` (a layer's name, or a derived one). */
  op(opType: string, inputs: string[], output: string, attribute: NodeProto['attribute'] = []): string {
    this.nodes.push({ name: output, opType, input: inputs, output: [output], attribute });
    return output;
  }

  weight(name: string, value: tf.Tensor, perm?: number[]): string {
    const t = perm ? tf.transpose(value, perm) : value;
    this.initializers.push(floatTensor(name, t.shape, t.dataSync() as Float32Array));
    if (t !== value) t.dispose();
    return name;
  }

  ints(name: string, values: number[]): string {
    this.initializers.push(int64Tensor(name, values));
    return name;
  }

  scalar(name: string, value: number): string {
    this.initializers.push(floatTensor(name, [], Float32Array.of(value)));
    return name;
  }

  declareInput(node: LayerNode): string {
    const shape = node.outputShape;
    const image = shape.length === 3;
    const [h, w, c] = shape;
    const dims = image ? (this.layout === 'nchw' ? [c!, h!, w!] : [h!, w!, c!]) : shape;
    this.inputs.push(valueInfo(node.name, dims));
    if (!image || this.layout === 'nchw') return node.name;
    return this.op('Transpose', [node.name], `${node.name}.nchw`, [ints('perm', [0, 3, 1, 2])]);
  }

  output(layer: string): ValueInfoProto {
    let value = this.valueOf.get(layer)!;
    const shape = this.model.getLayer(layer).outputShape as (number | null)[];
    const [, h, w, c] = shape;
    let dims = shape.slice(1) as number[];
    if (shape.length === 4) {
      if (this.layout === 'nhwc') value = this.op('Transpose', [value], `${layer}.nhwc`, [ints('perm', [0, 2, 3, 1])]);
      else dims = [c!, h!, w!];
    }
    // Graph outputs are named after the model's output layers.
    if (value !== layer) this.op('Identity', [value], `${layer}.output`);
    return valueInfo(value !== layer ? `${layer}.output` : layer, dims);
  }
}

function valueInfo(name: string, dims: number[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, ...dims.map((d) => ({ dimValue: d }))] } },
    },
  };
}

const ints = (name: string, values: number[]) => ({ name, type: 7, ints: values });
const int = (name: string, value: number) => ({ name, type: 2, i: value });
const float = (name: string, value: number) => ({ name, type: 1, f: value });

type ExportRule = (writer: OnnxWriter, node: LayerNode, layer: tfl.layers.Layer) => string;

/** Explicit [top, left, bottom, right] pads of TF's 'same' or 'valid' for the layer's input. */
function padsOf(layer: tfl.layers.Layer, kernel: number[], strides: number[], dilations = [1, 1]): number[] {
  if (layer.getConfig()['padding'] !== 'same') return [0, 0, 0, 0];
  const shape = (layer.input as tfl.SymbolicTensor).shape as number[];
  return samePads([shape[1]!, shape[2]!], kernel, strides, dilations);
}

const pair = (v: unknown) => (Array.isArray(v) ? (v as number[]) : [v as number, v as number]);

function channelsLast(node: LayerNode): void {
  const format = node.config['data_format'];
  if (format && format !== 'channels_last')
    throw new InvalidArgumentError(
      `layer "${node.name}": data_format ${String(format)} has no ONNX export (channels_last has)`,
    );
}

/** A ReLU capped at `max`. */
function clip(writer: OnnxWriter, input: string, name: string, max: number): string {
  return writer.op('Clip', [input, writer.scalar(`${name}.min`, 0), writer.scalar(`${name}.max`, max)], name);
}

/** The activation a layer applies to `input`, as ONNX operators named after `name`. */
function activation(writer: OnnxWriter, kind: string, input: string, name: string, rank: number): string {
  switch (kind) {
    case 'linear':
      return input;
    case 'relu':
      return writer.op('Relu', [input], name);
    case 'relu6':
      return clip(writer, input, name, 6);
    case 'sigmoid':
      return writer.op('Sigmoid', [input], name);
    case 'tanh':
      return writer.op('Tanh', [input], name);
    case 'softplus':
      return writer.op('Softplus', [input], name);
    case 'elu':
      return writer.op('Elu', [input], name);
    case 'swish':
      return writer.op('Mul', [input, writer.op('Sigmoid', [input], `${name}.sigmoid`)], name);
    case 'softmax':
      // TF.js takes softmax over the last (channel) axis: axis 1 in NCHW.
      return writer.op('Softmax', [input], name, [int('axis', rank === 4 ? 1 : -1)]);
    default:
      throw new InvalidArgumentError(`activation "${kind}" (layer ${name}) has no ONNX export`);
  }
}

function withActivation(writer: OnnxWriter, node: LayerNode, output: string): string {
  const kind = String(node.config['activation'] ?? 'linear');
  if (kind === 'linear') return output;
  return activation(writer, kind, output, `${node.name}.activation`, node.outputShape.length + 1);
}

const EXPORT_RULES: Record<string, ExportRule> = {
  InputLayer: (writer, node) => writer.declareInput(node),
  Conv2D: (writer, node, layer) => {
    channelsLast(node);
    const [kernel, bias] = layer.getWeights();
    const size = kernel!.shape.slice(0, 2);
    const strides = pair(node.config['strides']);
    const dilations = pair(node.config['dilation_rate']);
    const inputs = [writer.input(node), writer.weight(`${node.name}.weight`, kernel!, convKernelPermutations().toOnnx)];
    if (bias) inputs.push(writer.weight(`${node.name}.bias`, bias));
    const conv = writer.op('Conv', inputs, node.config['activation'] === 'linear' ? node.name : `${node.name}.conv`, [
      ints('kernel_shape', size),
      ints('strides', strides),
      ints('dilations', dilations),
      ints('pads', padsOf(layer, size, strides, dilations)),
    ]);
    return withActivation(writer, node, conv);
  },
  Dense: (writer, node, layer) => {
    if (writer.inputRank(node) !== 2)
      throw new InvalidArgumentError(
        `layer "${node.name}": Dense on a ${writer.inputRank(node)}-D input has no ONNX export`,
      );
    const [kernel, bias] = layer.getWeights();
    const inputs = [writer.input(node), writer.weight(`${node.name}.weight`, kernel!)];
    if (bias) inputs.push(writer.weight(`${node.name}.bias`, bias));
    const gemm = writer.op('Gemm', inputs, node.config['activation'] === 'linear' ? node.name : `${node.name}.gemm`);
    return withActivation(writer, node, gemm);
  },
  BatchNormalization: (writer, node, layer) => {
    const axis = node.config['axis'];
    const rank = writer.inputRank(node);
    if (axis !== -1 && axis !== rank - 1 && !(Array.isArray(axis) && axis[0] === rank - 1))
      throw new InvalidArgumentError(
        `layer "${node.name}": batch normalization over axis ${String(axis)} has no ONNX export`,
      );
    const { gamma, beta, mean, variance } = batchNormParameters(layer, node.config);
    const inputs = [
      writer.input(node),
      ...[gamma, beta, mean, variance].map((w, k) =>
        writer.weight(`${node.name}.${['scale', 'bias', 'mean', 'var'][k]}`, w),
      ),
    ];
    return writer.op('BatchNormalization', inputs, node.name, [float('epsilon', Number(node.config['epsilon']))]);
  },
  Activation: (writer, node) =>
    activation(writer, String(node.config['activation']), writer.input(node), node.name, node.outputShape.length + 1),
  ReLU: (writer, node) => {
    if (Number(node.config['negative_slope'] ?? 0) !== 0 || Number(node.config['threshold'] ?? 0) !== 0)
      throw new InvalidArgumentError(`layer "${node.name}": ReLU with a slope or threshold has no ONNX export`);
    const max = node.config['max_value'];
    if (max == null) return writer.op('Relu', [writer.input(node)], node.name);
    return clip(writer, writer.input(node), node.name, Number(max));
  },
  Add: (writer, node) =>
    writer.op(
      'Sum',
      node.inputs.map((_, i) => writer.input(node, i)),
      node.name,
    ),
  Concatenate: (writer, node) => {
    // TF.js's last axis is the channels, which are ONNX's axis 1 (images are written NCHW).
    const axis = node.config['axis'] as number;
    if (axis !== -1 && axis !== node.outputShape.length)
      throw new InvalidArgumentError(`layer "${node.name}": concatenates along axis ${axis}; only channels export`);
    return writer.op(
      'Concat',
      node.inputs.map((_, i) => writer.input(node, i)),
      node.name,
      [int('axis', 1)],
    );
  },
  MaxPooling2D: (writer, node, layer) => pool(writer, node, layer, 'MaxPool'),
  AveragePooling2D: (writer, node, layer) => pool(writer, node, layer, 'AveragePool'),
  GlobalAveragePooling2D: (writer, node) => {
    channelsLast(node);
    const pooled = writer.op('GlobalAveragePool', [writer.input(node)], `${node.name}.pool`);
    return writer.op('Flatten', [pooled], node.name);
  },
  Flatten: (writer, node, layer) => {
    if (writer.inputRank(node) === 2) return writer.op('Identity', [writer.input(node)], node.name);
    const [, h, w] = (layer.input as tfl.SymbolicTensor).shape;
    if (h === 1 && w === 1) return writer.op('Flatten', [writer.input(node)], node.name);
    // TF.js flattens in H, W, C order.
    const nhwc = writer.op('Transpose', [writer.input(node)], `${node.name}.nhwc`, [ints('perm', [0, 2, 3, 1])]);
    return writer.op('Flatten', [nhwc], node.name);
  },
  ZeroPadding2D: (writer, node) => {
    const [[top, bottom], [left, right]] = node.config['padding'] as [[number, number], [number, number]];
    const pads = writer.ints(`${node.name}.pads`, [0, 0, top, left, 0, 0, bottom, right]);
    return writer.op('Pad', [writer.input(node), pads], node.name);
  },
  Dropout: (writer, node) => writer.op('Identity', [writer.input(node)], node.name),
  OptionAShortcut: (writer, node, layer) => {
    const { stride, padBefore, padAfter } = layer as OptionAShortcut;
    let x = writer.input(node);
    if (stride > 1) {
      const inputs = [
        x,
        writer.ints(`${node.name}.starts`, [0, 0]),
        writer.ints(`${node.name}.ends`, [INT64_MAX, INT64_MAX]),
      ];
      inputs.push(writer.ints(`${node.name}.axes`, [2, 3]), writer.ints(`${node.name}.steps`, [stride, stride]));
      x = writer.op('Slice', inputs, `${node.name}.subsample`);
    }
    return writer.op('Pad', [x, writer.ints(`${node.name}.pads`, [0, padBefore, 0, 0, 0, padAfter, 0, 0])], node.name);
  },
};

function pool(writer: OnnxWriter, node: LayerNode, layer: tfl.layers.Layer, op: string): string {
  channelsLast(node);
  const size = pair(node.config['pool_size']);
  const strides = pair(node.config['strides'] ?? size);
  const attributes = [ints('kernel_shape', size), ints('strides', strides), ints('pads', padsOf(layer, size, strides))];
  // TF's 'same' average pooling divides by the window's valid part.
  if (op === 'AveragePool') attributes.push(int('count_include_pad', 0) as never);
  return writer.op(op, [writer.input(node)], node.name, attributes);
}
