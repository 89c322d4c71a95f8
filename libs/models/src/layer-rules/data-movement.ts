// Layers that only move data: no arithmetic, channel c in is channel c out.
import type { LayerRule } from './layer-rule.js';

const free = () => ({ macs: 0, flops: 0 });

export const zeroPadding2dRule: LayerRule = { className: 'ZeroPadding2D', role: () => 'passthrough', cost: free };

export const dropoutRule: LayerRule = { className: 'Dropout', role: () => 'passthrough', cost: free };

/** Flatten spreads each channel over the positions: its consumer's rows follow the channel. */
export const flattenRule: LayerRule = {
  className: 'Flatten',
  role: () => 'passthrough',
  cost: free,
  flattenSpread: true,
};

/**
 * Concatenate along the channels: each input's channels land at an offset of its output, which
 * this rule does not track, so its inputs' filters are not pruned (a blocker).
 */
export const concatenateRule: LayerRule = { className: 'Concatenate', role: () => 'blocker', cost: free };

/** The model's input: its channels are the data's and never pruned. */
export const inputLayerRule: LayerRule = { className: 'InputLayer', role: () => 'blocker', cost: free };

/** The option-A shortcut (subsample and zero-pad channels) fixes the channel layout it pads. */
export const optionAShortcutRule: LayerRule = { className: 'OptionAShortcut', role: () => 'blocker', cost: free };

/** Reshape (e.g. an image's rows as a sequence of tokens): the channel layout changes. */
export const reshapeRule: LayerRule = { className: 'Reshape', role: () => 'blocker', cost: free };
