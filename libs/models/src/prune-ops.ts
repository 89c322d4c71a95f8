// Per-layer-class rules for channel pruning (the Torch-Pruning idea: a small registry, so a new
// layer type is supported by adding one entry here). A rule says how a layer relates to the
// channels flowing through it and how to slice its weights.
import { tf } from '@prune/compute';

export type ChannelRole =
  /** Makes new channels (its output width is a config field) and consumes input channels. */
  | 'producer'
  /** Keeps the channel layout: channel c in is channel c out (may have per-channel weights). */
  | 'passthrough'
  /** Couples or reshuffles channels in ways we do not prune across (Add, shortcuts, unknown). */
  | 'blocker';

export interface PruneRule {
  role: ChannelRole;
  /** Config field holding the output width (producers). */
  widthField?: string;
  /**
   * Slices the layer's weights (in getWeights() order) to the kept input channels `keepIn` and
   * kept output channels `keepOut` (null = all kept).
   */
  slice?: (weights: tf.Tensor[], keepIn: number[] | null, keepOut: number[] | null) => tf.Tensor[];
  /** Input channel index -> rows of a consumer's weight (Flatten spreads each channel over positions). */
  flattenSpread?: boolean;
}

/**
 * Keeps the indices `keep` of `t` along `axis`, as a tensor with its own buffer. (A fresh copy:
 * wasm's GatherV2 records its output under an internal 4D shape, and wasm's FusedConv2D then
 * rejects it as a bias "of rank 4".)
 */
function gather(t: tf.Tensor, keep: number[] | null, axis: number): tf.Tensor {
  const values = keep ? tf.tidy(() => tf.gather(t, tf.tensor1d(keep, 'int32'), axis)) : t;
  const copy = tf.tensor(values.dataSync(), values.shape, values.dtype);
  if (values !== t) values.dispose();
  return copy;
}

/** Slicing of a [..., in, out] kernel and an [out] bias (Conv2D: axes 2, 3; Dense: 0, 1). */
function sliceKernelAndBias(inAxis: number, outAxis: number): PruneRule['slice'] {
  return ([kernel, bias], keepIn, keepOut) => {
    const inSliced = gather(kernel!, keepIn, inAxis);
    const k = gather(inSliced, keepOut, outAxis);
    inSliced.dispose();
    return bias ? [k, gather(bias, keepOut, 0)] : [k];
  };
}

export const PRUNE_RULES: Record<string, PruneRule> = {
  Conv2D: {
    role: 'producer',
    widthField: 'filters',
    slice: sliceKernelAndBias(2, 3),
  },
  Dense: {
    role: 'producer',
    widthField: 'units',
    slice: sliceKernelAndBias(0, 1),
  },
  BatchNormalization: {
    role: 'passthrough',
    // gamma, beta, moving mean, moving variance: all [C]
    slice: (weights, _keepIn, keepOut) => weights.map((w) => gather(w, keepOut, 0)),
  },
  Activation: { role: 'passthrough' },
  ReLU: { role: 'passthrough' },
  Dropout: { role: 'passthrough' },
  ZeroPadding2D: { role: 'passthrough' },
  AveragePooling2D: { role: 'passthrough' },
  MaxPooling2D: { role: 'passthrough' },
  GlobalAveragePooling2D: { role: 'passthrough' },
  Flatten: { role: 'passthrough', flattenSpread: true },
  Add: { role: 'blocker' },
  OptionAShortcut: { role: 'blocker' },
  InputLayer: { role: 'blocker' },
};

export function ruleFor(className: string): PruneRule {
  return PRUNE_RULES[className] ?? { role: 'blocker' };
}
