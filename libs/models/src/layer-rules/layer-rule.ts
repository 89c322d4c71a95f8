// Everything the system knows about one layer class, in one object (the Torch-Pruning idea: a
// small registry of per-operator rules, so supporting a new layer type is one file plus one
// registration). Loading, cost, structure finding, surgery, the L1 criterion, weight decay and the
// PyTorch importer all ask the registry (registry.ts) instead of switching on class names.
import type { tf, tfl } from '@prune/compute';
import type { LayerNode } from '../layer-graph.js';

export type ChannelRole =
  /** Makes new channels (its output width is a config field) and consumes input channels. */
  | 'producer'
  /** Keeps the channel layout: channel c in is channel c out (may have per-channel weights). */
  | 'passthrough'
  /** Couples or reshuffles channels in ways we do not prune across (Add, shortcuts, inputs). */
  | 'blocker';

/** A layer as the rules see it: its config and shapes from the model's functional graph. */
export type RuleNode = Pick<LayerNode, 'className' | 'config' | 'inputs' | 'outputShape'>;

export interface LayerCostEstimate {
  /** Multiply-accumulates (Conv2D and Dense only, the paper code's convention). */
  macs: number;
  /** Every arithmetic operation of one inference. */
  flops: number;
}

export interface LayerRule {
  /** The TF.js/Keras class name (`getClassName()`, `class_name` in a config). */
  className: string;
  /** How the layer relates to the channels flowing through it; a config may make it a blocker. */
  role(node: RuleNode): ChannelRole;
  /** Cost of one example's inference; `inputShape` is the first input's shape without batch. */
  cost(node: RuleNode, inputShape: number[]): LayerCostEstimate;
  /** Config field holding the output width (producers). */
  widthField?: string;
  /** Its output channels are filters: listed in a model's widths and counted when blocks go. */
  filters?: boolean;
  /**
   * Slices the layer's weights (in getWeights() order) to the kept input channels `keepIn` and
   * kept output channels `keepOut` (null = all kept). Layers without weights need none.
   */
  slice?(weights: tf.Tensor[], keepIn: number[] | null, keepOut: number[] | null): tf.Tensor[];
  /** Input channel c reaches the consumer as rows c, C + c, ... (Flatten over positions). */
  flattenSpread?: boolean;
  /** Indices (in getWeights() order) of the weights that get L2 weight decay. */
  decayedWeights?: number[];
  /** Sum of |w| per output channel (producers), for the L1 criterion. */
  outputChannelL1?(weights: tf.Tensor[]): Float32Array;
  /** Whether the layer computes max(x, 0) exactly (a ReLU after an Add goes with its block). */
  isRelu?(node: RuleNode): boolean;
  /** Whether its output is a softmax (a model ending in one outputs probabilities). */
  isSoftmax?(node: RuleNode): boolean;
  /** It sums its inputs elementwise: the merge of a residual block. */
  sumsInputs?: boolean;
  /** A fully connected layer: the classifier when it ends the model. */
  classifier?: boolean;
  /**
   * Units inside the layer (attention heads) that can be removed without changing the shape of
   * its output: a width structure of their own. A model with such layers prunes them, not filters.
   */
  units?: LayerUnits;
  /**
   * How the layer's weights appear in a PyTorch state dict, in getWeights() order: the tensor
   * name after `<layer>.` and the permutation from PyTorch's layout to TF.js's.
   */
  torchWeights?: { suffix: string; permutation?: number[] }[];
}

export interface LayerUnits {
  /** What the units are, plural ("heads"): in messages and in inspect. */
  noun: string;
  /** The config field counting them. */
  field: string;
  count(node: RuleNode): number;
  /** The weights (getWeights() order) with only the units `keep`. */
  slice(weights: tf.Tensor[], keep: number[]): tf.Tensor[];
  /** Sum of |w| of each unit's weights, for the L1 criterion. */
  l1(weights: tf.Tensor[]): Float32Array;
  /** The layer's output with each example's units weighted by `mask` [batch, units] (0 = removed). */
  applyMasked(layer: tfl.layers.Layer, input: tf.Tensor, mask: tf.Tensor): tf.Tensor;
}
