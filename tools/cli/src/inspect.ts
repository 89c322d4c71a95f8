// `prune inspect <model> [--remove-blocks a,b] [--remove-filters group=0,3,7 ...] [--out dir|x.keras|x.onnx]`
import {
  findFilterGroups,
  findResidualBlocks,
  LayerGraph,
  loadModel,
  measureLatency,
  modelCost,
  parsePreprocessing,
  removeFilters,
  RECORDS_PREPROCESSING,
  removeResidualBlocks,
  saveModelAs,
  modelFileFormatOf,
  widthUnit,
} from '@prune/models';
import type { tfl } from '@prune/compute';
import type { ModelMetadata, OnnxExportOptions } from '@prune/models';
import { INSPECT } from './command-specs.js';
import { booleanFlag, parseFlags, stringFlag, stringsFlag } from './flags.js';
import { UsageError } from './usage-error.js';

/** Parses "group=0,3,7" into [group, [0, 3, 7]]. */
export function parseFilterRemoval(spec: string): [string, number[]] {
  const eq = spec.lastIndexOf('=');
  const channels = spec
    .slice(eq + 1)
    .split(',')
    .map((c) => Number(c.trim()));
  if (eq <= 0 || channels.some((c) => !Number.isInteger(c) || c < 0)) {
    throw new UsageError(
      `--remove-filters: expected <group>=<channel>,<channel>,... (e.g. layer1.0.conv1=0,5), got "${spec}"`,
    );
  }
  return [spec.slice(0, eq), channels];
}

function describe(model: tfl.LayersModel, withLayers: boolean) {
  const graph = LayerGraph.of(model);
  const cost = modelCost(model);
  return {
    name: model.name,
    macs: cost.macs,
    flops: cost.flops,
    params: cost.params,
    trainableParams: cost.trainableParams,
    removableBlocks: findResidualBlocks(graph).map((b) => ({
      id: b.id,
      input: b.input,
      layers: [...b.branch, b.add, ...(b.trailingActivation ? [b.trailingActivation] : [])],
    })),
    // Filters of a convolution, or units inside a layer (a Transformer's attention heads).
    filterGroups: findFilterGroups(graph).map((g) => ({
      id: g.id,
      unit: widthUnit(graph.get(g.producer).className),
      channels: g.channels,
      passthrough: g.passthrough,
      consumers: g.consumers.map((c) => c.name),
    })),
    ...(withLayers ? { layers: cost.layers } : {}),
  };
}

export async function inspectCommand(argv: string[]): Promise<object> {
  const { values, positionals } = parseFlags(INSPECT, argv);
  if (positionals.length !== 1)
    throw new UsageError(`usage: prune inspect ${INSPECT.arguments} (see prune inspect --help)`);
  const declared = stringFlag(values, 'preprocessing');
  const preprocessing = declared === undefined ? undefined : parsePreprocessing(declared, '--preprocessing');
  const { model, metadata } = await loadModel(positionals[0]!, { preprocessing });
  const out = stringFlag(values, 'out');
  const withLayers = booleanFlag(values, 'layers');
  const blocks =
    stringFlag(values, 'remove-blocks')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  const filters = Object.fromEntries(stringsFlag(values, 'remove-filters').map(parseFilterRemoval));
  let result: Record<string, unknown>;
  let kept = model;
  if (blocks.length === 0 && Object.keys(filters).length === 0) {
    result = describe(model, withLayers); // with --out alone: a conversion (to TF.js layers, or .keras)
  } else {
    // Filters first: group ids of blocks that are removed would otherwise disappear.
    kept = await removeFilters(model, filters);
    if (blocks.length) kept = await removeResidualBlocks(kept, blocks);
    const parent = modelCost(model);
    result = { parent: { macs: parent.macs, params: parent.params }, ...describe(kept, withLayers) };
  }
  if (booleanFlag(values, 'latency')) {
    const { measurements, onnxSkipped } = await measureLatency(kept);
    result['latency'] = measurements;
    if (onnxSkipped) result['latencyOnnxSkipped'] = onnxSkipped;
  }
  if (out) result['saved'] = await saveWithNote(out, kept, { ...metadata, source: positionals[0]! });
  return result;
}

/** Saves `model` to `out` (its format by name unless given), saying when no preprocessing goes with it. */
export async function saveWithNote(
  out: string,
  model: tfl.LayersModel,
  metadata: ModelMetadata,
  format = modelFileFormatOf(out),
  onnx?: OnnxExportOptions,
): Promise<string> {
  const saved = await saveModelAs(out, model, metadata, format, onnx);
  if (!metadata.preprocessing || !RECORDS_PREPROCESSING[format])
    console.error(
      `note: ${out} records no preprocessing${metadata.preprocessing ? ` (this model's: ${JSON.stringify(metadata.preprocessing)})` : ''}; ` +
        'a run on it needs --preprocessing (see prune run --help)',
    );
  return saved;
}
