// `prune inspect <model> [--remove-blocks a,b] [--remove-filters group=0,3,7 ...] [--out dir]`
import { parseArgs } from 'node:util';
import {
  findFilterGroups,
  findResidualBlocks,
  LayerGraph,
  loadModel,
  modelCost,
  removeFilters,
  removeResidualBlocks,
  saveLayersModel,
} from '@prune/models';
import type { tfl } from '@prune/compute';

export class UsageError extends Error {
  override name = 'UsageError';
}

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
    filterGroups: findFilterGroups(graph).map((g) => ({
      id: g.id,
      channels: g.channels,
      passthrough: g.passthrough,
      consumers: g.consumers.map((c) => c.name),
    })),
    ...(withLayers ? { layers: cost.layers } : {}),
  };
}

export async function inspectCommand(argv: string[]): Promise<object> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'remove-blocks': { type: 'string' },
      'remove-filters': { type: 'string', multiple: true },
      out: { type: 'string' },
      layers: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1)
    throw new UsageError(
      'usage: prune inspect <model.json | keras.json | x.manifest.json> [--remove-blocks id,id] [--remove-filters group=c,c ...] [--out dir] [--layers]',
    );
  const { model, metadata } = await loadModel(positionals[0]!);
  const blocks =
    values['remove-blocks']
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean) ?? [];
  const filters = Object.fromEntries((values['remove-filters'] ?? []).map(parseFilterRemoval));
  if (blocks.length === 0 && Object.keys(filters).length === 0) {
    if (values.out) throw new UsageError('--out needs --remove-blocks or --remove-filters');
    return describe(model, values.layers);
  }
  // Filters first: group ids of blocks that are removed would otherwise disappear.
  let child = await removeFilters(model, filters);
  if (blocks.length) child = await removeResidualBlocks(child, blocks);
  const result: Record<string, unknown> = {
    parent: { macs: modelCost(model).macs, params: modelCost(model).params },
    ...describe(child, values.layers),
  };
  if (values.out) {
    result['saved'] = await saveLayersModel(values.out, child, { ...metadata, source: positionals[0]! });
  }
  return result;
}
