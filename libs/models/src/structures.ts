// The structures the method removes, found on the functional graph (never by layer names):
// residual blocks whose branch can be dropped, and groups of filters whose output channels can
// be removed together with everything that depends on them. In a Transformer the same rules
// find its encoder blocks (an attention sub-block and the feed-forward sub-block after it,
// removed together) and its width structure is the attention heads (the paper's appendix C).
import { tf } from '@prune/compute';
import { LayerGraph, type LayerNode } from './layer-graph.js';
import type { ChannelRole } from './layer-rules/layer-rule.js';
import { layerRule } from './layer-rules/registry.js';
import { InvalidArgumentError } from '@prune/errors';

export interface ResidualBlock {
  /** Stable id: the name of the block's Add layer. */
  id: string;
  /** The layer whose output is both the block's input and its identity shortcut. */
  input: string;
  /** Layers of the residual branch, input side first. */
  branch: string[];
  add: string;
  /** A ReLU after the Add that is dropped with the block (exact: its input is already >= 0). */
  trailingActivation?: string;
  /** Filters (output channels of filter-making layers) or heads of the branch, removed with the block. */
  filters: number;
}

export interface FilterGroup {
  /** Stable id: the name of the layer producing the channels. */
  id: string;
  /** 'channels': the producer's output channels; 'units': units inside it (heads), its output unchanged. */
  kind: 'channels' | 'units';
  producer: string;
  /** How many channels (or units) the group has. */
  channels: number;
  /** Layers the channels pass through unchanged (batch norm, activations, padding, pooling). */
  passthrough: string[];
  /** Layers consuming the channels; `spread` > 1 when a Flatten spreads each channel over positions. */
  consumers: { name: string; spread: number }[];
}

const ruleOf = (node: LayerNode) => layerRule(node.className, node.name);

export function roleOf(node: LayerNode): ChannelRole {
  return ruleOf(node).role(node);
}

const isRelu = (node: LayerNode) => ruleOf(node).isRelu?.(node) ?? false;

/** What a layer's width counts: its rule's units ("heads"), or "filters". */
export const widthUnit = (className: string): string => layerRule(className).units?.noun ?? 'filters';

/** The filters (output channels) or units (heads) a layer contributes to a model's width. */
export function widthOf(node: LayerNode): number {
  const rule = ruleOf(node);
  return rule.units ? rule.units.count(node) : rule.filters ? node.outputShape.at(-1)! : 0;
}

export function findResidualBlocks(graph: LayerGraph): ResidualBlock[] {
  const blocks: ResidualBlock[] = [];
  for (const add of graph.ordered()) {
    if (!ruleOf(add).sumsInputs || add.inputs.length !== 2) continue;
    for (const [input, tip] of [add.inputs, [...add.inputs].reverse()] as [string, string][]) {
      const branch = branchBetween(graph, input, tip);
      if (!branch) continue;
      if (add.outputShape.join('x') !== graph.get(input).outputShape.join('x')) continue;
      const next = add.consumers.length === 1 ? graph.get(add.consumers[0]!) : undefined;
      const trailing =
        next && isRelu(next) && isRelu(graph.get(input)) && !graph.outputs.includes(next.name) ? next.name : undefined;
      if (graph.outputs.includes(add.name)) continue;
      const filters = branch.reduce((sum, name) => sum + widthOf(graph.get(name)), 0);
      blocks.push({
        id: add.name,
        input,
        branch,
        add: add.name,
        filters,
        ...(trailing ? { trailingActivation: trailing } : {}),
      });
      break;
    }
  }
  return encoderBlocks(graph, blocks);
}

const attends = (graph: LayerGraph, block: ResidualBlock) => block.branch.some((name) => ruleOf(graph.get(name)).units);

/**
 * A Transformer encoder block is an attention sub-block followed by the feed-forward sub-block
 * that reads its output: the two are one structure, removed together.
 */
function encoderBlocks(graph: LayerGraph, blocks: ResidualBlock[]): ResidualBlock[] {
  const merged: ResidualBlock[] = [];
  for (let i = 0; i < blocks.length; i++) {
    const [attention, feedForward] = [blocks[i]!, blocks[i + 1]];
    const output = attention.trailingActivation ?? attention.add;
    if (!attends(graph, attention) || !feedForward || feedForward.input !== output || attends(graph, feedForward)) {
      merged.push(attention);
      continue;
    }
    merged.push({
      ...feedForward,
      input: attention.input,
      branch: [...attention.branch, ...new Set([attention.add, output]), ...feedForward.branch],
      filters: attention.filters + feedForward.filters,
    });
    i++;
  }
  return merged;
}

/** The chain of single-input, single-consumer layers from `input` (exclusive) to `tip`, or null. */
function branchBetween(graph: LayerGraph, input: string, tip: string): string[] | null {
  const path: string[] = [];
  let current = tip;
  while (current !== input) {
    const node = graph.get(current);
    if (node.inputs.length !== 1 || node.consumers.length !== 1) return null; // also stops at the input layer
    path.push(current);
    current = node.inputs[0]!;
    if (path.length > graph.nodes.size) return null;
  }
  return path.length > 0 ? path.reverse() : null;
}

/**
 * The width structures: the units (heads) of the layers that have them, when there are any;
 * otherwise the groups of filters whose channels can be removed.
 */
export function findFilterGroups(graph: LayerGraph): FilterGroup[] {
  const unitGroups = graph
    .ordered()
    .filter((node) => ruleOf(node).units && widthOf(node) > 0)
    .map((node): FilterGroup => ({
      id: node.name,
      kind: 'units',
      producer: node.name,
      channels: widthOf(node),
      passthrough: [],
      consumers: [],
    }));
  if (unitGroups.length) return unitGroups;
  const groups: FilterGroup[] = [];
  for (const producer of graph.ordered()) {
    if (roleOf(producer) !== 'producer') continue;
    const group = followChannels(graph, producer);
    if (group) groups.push(group);
  }
  return groups;
}

/** Follows the producer's channels to every consumer; null when they reach a blocker or an output. */
function followChannels(graph: LayerGraph, producer: LayerNode): FilterGroup | null {
  const channels = producer.outputShape.at(-1)!;
  const passthrough: string[] = [];
  const consumers: { name: string; spread: number }[] = [];
  const frontier: { name: string; spread: number }[] = [{ name: producer.name, spread: 1 }];
  while (frontier.length) {
    const { name, spread } = frontier.pop()!;
    if (graph.outputs.includes(name)) return null; // the model's output width is fixed
    for (const consumerName of graph.get(name).consumers) {
      const consumer = graph.get(consumerName);
      const role = roleOf(consumer);
      if (role === 'blocker') return null;
      if (role === 'producer') {
        consumers.push({ name: consumerName, spread });
        continue;
      }
      if (passthrough.includes(consumerName)) continue;
      passthrough.push(consumerName);
      const spreadHere = ruleOf(consumer).flattenSpread ? consumer.outputShape.at(-1)! / channels : 1;
      frontier.push({ name: consumerName, spread: spread * spreadHere });
    }
  }
  if (consumers.length === 0) return null;
  return { id: producer.name, kind: 'channels', producer: producer.name, channels, passthrough, consumers };
}

/** Whether the model already ends in a softmax (its outputs must then not be softmaxed again). */
export function outputsAreProbabilities(graph: LayerGraph): boolean {
  const out = graph.get(graph.outputs[0]!);
  return ruleOf(out).isSoftmax?.(out) ?? false;
}

/**
 * Log-probabilities of a model's outputs, applying softmax exactly once: `probabilities` says the
 * model already ends in a softmax (see outputsAreProbabilities).
 */
export function logProbabilities(output: tf.Tensor, probabilities: boolean): tf.Tensor {
  return probabilities ? tf.log(tf.maximum(output, 1e-12)) : tf.logSoftmax(output);
}

/**
 * The layer whose output feeds the classifier (the penultimate representation): the input of
 * the final classifier layer (Dense), looking through a final softmax activation.
 */
export function classifierInputLayer(graph: LayerGraph): string {
  let node = graph.get(graph.outputs[0]!);
  if (!ruleOf(node).classifier && ruleOf(node).isSoftmax?.(node)) node = graph.get(node.inputs[0]!);
  if (!ruleOf(node).classifier || node.inputs.length !== 1) {
    throw new InvalidArgumentError(
      `the model does not end in a Dense classifier (last layer: ${node.name}, ${node.className}); name a layer`,
    );
  }
  return node.inputs[0]!;
}
