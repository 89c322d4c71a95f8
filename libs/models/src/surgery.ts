// Surgery on a model's config: remove residual blocks or filters and return a new, smaller model
// with sliced weights. The parent is never modified.
import { tf, tfl } from '@prune/compute';
import { LayerGraph, type LayerConfigJson, type ModelConfigJson } from './layer-graph.js';
import { ModelFormatError } from './metadata.js';
import { layerRule } from './layer-rules/registry.js';
import { findFilterGroups, findResidualBlocks } from './structures.js';

class PruneError extends ModelFormatError {
  override name = 'PruneError';
}

async function buildFromConfig(config: ModelConfigJson): Promise<tfl.LayersModel> {
  return (await tfl.models.modelFromJSON({ modelTopology: config } as never)) as tfl.LayersModel;
}

/** Removes the residual blocks `blockIds` (ids from findResidualBlocks). */
export async function removeResidualBlocks(model: tfl.LayersModel, blockIds: string[]): Promise<tfl.LayersModel> {
  const graph = LayerGraph.of(model);
  const blocks = new Map(findResidualBlocks(graph).map((b) => [b.id, b]));
  const removed = new Set<string>();
  const replacedBy = new Map<string, string>();
  for (const id of new Set(blockIds)) {
    const block = blocks.get(id);
    if (!block) {
      throw new PruneError(
        `block "${id}" is not a removable residual block of ${model.name}; removable: ${[...blocks.keys()].join(', ') || 'none'}`,
      );
    }
    for (const name of [...block.branch, block.add]) removed.add(name);
    const last = block.trailingActivation ?? block.add;
    if (block.trailingActivation) removed.add(block.trailingActivation);
    replacedBy.set(last, block.input);
  }
  // Consecutive blocks: a block's input may itself be the output of a removed block.
  const resolve = (name: string): string => (replacedBy.has(name) ? resolve(replacedBy.get(name)!) : name);
  return rewireModel(model, graph, { keep: (layer) => !removed.has(layer.name), rename: resolve });
}

/**
 * A new model from `model`'s layers: those `keep` accepts, each followed by what `insertAfter`
 * returns (new layers, referring to it by its own name), every other reference to a layer (inputs,
 * outputs) passed through `rename`; weights copied by layer name (new layers keep their initial ones).
 */
export async function rewireModel(
  model: tfl.LayersModel,
  graph: LayerGraph,
  edit: {
    keep?: (layer: LayerConfigJson) => boolean;
    rename: (name: string) => string;
    insertAfter?: (layer: LayerConfigJson) => LayerConfigJson[];
  },
): Promise<tfl.LayersModel> {
  const config = structuredClone(graph.modelConfig);
  config.config.layers = config.config.layers
    .filter((layer) => edit.keep?.(layer) ?? true)
    .flatMap((layer) => [
      {
        ...layer,
        inbound_nodes: layer.inbound_nodes.map((node) =>
          node.map(([name, ...rest]) => [edit.rename(name), ...rest] as (typeof node)[number]),
        ),
      },
      ...(edit.insertAfter?.(layer) ?? []),
    ]);
  config.config.output_layers = config.config.output_layers.map(
    ([name, ...rest]) => [edit.rename(name), ...rest] as [string, number, number],
  );
  const child = await buildFromConfig(config);
  const original = new Set(model.layers.map((l) => l.name));
  for (const layer of child.layers) {
    if (layer.weights.length && original.has(layer.name)) layer.setWeights(model.getLayer(layer.name).getWeights());
  }
  return child;
}

/**
 * Removes output channels (or units, e.g. heads): `removal` maps a filter group id to the channel
 * (unit) indices to drop.
 */
export async function removeFilters(
  model: tfl.LayersModel,
  removal: Record<string, number[]>,
): Promise<tfl.LayersModel> {
  const graph = LayerGraph.of(model);
  const groups = new Map(findFilterGroups(graph).map((g) => [g.id, g]));
  const keepOut = new Map<string, number[]>();
  const keepIn = new Map<string, number[]>();
  const keepUnits = new Map<string, number[]>();
  for (const [id, drop] of Object.entries(removal)) {
    const group = groups.get(id);
    if (!group)
      throw new PruneError(
        `filter group "${id}" is not prunable in ${model.name}; prunable: ${[...groups.keys()].join(', ') || 'none'}`,
      );
    const dropSet = new Set(drop);
    for (const c of dropSet) {
      if (!Number.isInteger(c) || c < 0 || c >= group.channels)
        throw new PruneError(`filter group "${id}": channel ${c} is out of range 0..${group.channels - 1}`);
    }
    const keep = [...Array(group.channels).keys()].filter((c) => !dropSet.has(c));
    if (keep.length === 0)
      throw new PruneError(
        `filter group "${id}": cannot remove all ${group.channels} ${group.kind === 'units' ? 'units (heads)' : 'channels'}`,
      );
    if (group.kind === 'units') {
      keepUnits.set(group.producer, keep);
      continue;
    }
    for (const name of [group.producer, ...group.passthrough]) keepOut.set(name, keep);
    for (const { name, spread } of group.consumers) {
      keepIn.set(name, Array.from({ length: spread }, (_, p) => keep.map((c) => p * group.channels + c)).flat());
    }
  }
  const config = structuredClone(graph.modelConfig);
  for (const layer of config.config.layers) {
    const rule = layerRule(layer.class_name, layer.name);
    const [keep, field] = keepUnits.has(layer.name)
      ? [keepUnits.get(layer.name), rule.units!.field]
      : [keepOut.get(layer.name), rule.widthField];
    if (keep && field && layer.name in removal) layer.config[field] = keep.length;
  }
  const child = await buildFromConfig(config);
  for (const layer of child.layers) {
    if (!layer.weights.length) continue;
    const weights = model.getLayer(layer.name).getWeights();
    const rule = layerRule(layer.getClassName(), layer.name);
    const units = keepUnits.get(layer.name);
    const sliced = units
      ? rule.units!.slice(weights, units)
      : rule.slice
        ? rule.slice(weights, keepIn.get(layer.name) ?? null, keepOut.get(layer.name) ?? null)
        : weights;
    layer.setWeights(sliced);
    if (sliced !== weights) tf.dispose(sliced);
  }
  return child;
}
