// The layer classes supported out of the box. A project's own layer class is added with
// registerLayerRule (registry.ts) from its own file, like these.
import { activationRule, reluRule } from './activation.js';
import { addRule } from './add.js';
import { batchNormalizationRule } from './batch-normalization.js';
import { conv2dRule } from './conv2d.js';
import {
  concatenateRule,
  dropoutRule,
  flattenRule,
  inputLayerRule,
  optionAShortcutRule,
  reshapeRule,
  zeroPadding2dRule,
} from './data-movement.js';
import { denseRule } from './dense.js';
import type { LayerRule } from './layer-rule.js';
import { multiHeadSelfAttentionRule } from './attention.js';
import { layerNormalizationRule } from './layer-normalization.js';
import {
  averagePooling2dRule,
  globalAveragePooling1dRule,
  globalAveragePooling2dRule,
  maxPooling2dRule,
} from './pooling.js';
import { positionEmbeddingRule } from './position-embedding.js';

export const BUILTIN_LAYER_RULES: readonly LayerRule[] = [
  inputLayerRule,
  conv2dRule,
  denseRule,
  batchNormalizationRule,
  activationRule,
  reluRule,
  addRule,
  concatenateRule,
  averagePooling2dRule,
  maxPooling2dRule,
  globalAveragePooling2dRule,
  flattenRule,
  zeroPadding2dRule,
  dropoutRule,
  optionAShortcutRule,
  reshapeRule,
  globalAveragePooling1dRule,
  layerNormalizationRule,
  positionEmbeddingRule,
  multiHeadSelfAttentionRule,
];
