// The one table per enum between the contracts and the domain: the coordinator translates with
// them, and the CLI parses and shows the same names.
import type {
  Choice as ChoiceName,
  RunState as RunStateName,
  SelectionPolicy as PolicyName,
  WalkPhase,
} from '@prune/pruning';
import type { LrScheduleName } from '@prune/train-config';
import { enumNames } from './enum-names.js';
import { Corruption } from './gen/prune/v1/assessment.js';
import { LrSchedule, ModelFormat } from './gen/prune/v1/common.js';
import { Choice, FilterMatch, Phase, RunState, SelectionPolicy } from './gen/prune/v1/coordinator.js';

export const SELECTION_POLICY_NAMES = enumNames<PolicyName, SelectionPolicy>({
  similarity: SelectionPolicy.SELECTION_POLICY_SIMILARITY,
  random: SelectionPolicy.SELECTION_POLICY_RANDOM,
  'layers-only': SelectionPolicy.SELECTION_POLICY_LAYERS_ONLY,
  'filters-only': SelectionPolicy.SELECTION_POLICY_FILTERS_ONLY,
});

export const RUN_STATE_NAMES = enumNames<RunStateName, RunState>({
  pending: RunState.RUN_STATE_PENDING,
  running: RunState.RUN_STATE_RUNNING,
  succeeded: RunState.RUN_STATE_SUCCEEDED,
  failed: RunState.RUN_STATE_FAILED,
  cancelled: RunState.RUN_STATE_CANCELLED,
});

export const PHASE_NAMES = enumNames<WalkPhase, Phase>({
  score: Phase.PHASE_SCORE,
  'layer candidate': Phase.PHASE_LAYER_CANDIDATE,
  'filter candidate': Phase.PHASE_FILTER_CANDIDATE,
  'fine-tune candidates': Phase.PHASE_FINE_TUNE_CANDIDATES,
  compare: Phase.PHASE_COMPARE,
  'fine-tune selected': Phase.PHASE_FINE_TUNE_SELECTED,
  evaluate: Phase.PHASE_EVALUATE,
  assess: Phase.PHASE_ASSESS,
});

/** The decision as the paper writes it: L (layer candidate kept) or F (filter candidate kept). */
export const CHOICE_NAMES = enumNames<ChoiceName, Choice>({ L: Choice.CHOICE_LAYER, F: Choice.CHOICE_FILTER });

/** How the filter candidate is sized against the layer candidate: by filter count or by MACs. */
export const FILTER_MATCH_NAMES = enumNames<'count' | 'macs', FilterMatch>({
  count: FilterMatch.FILTER_MATCH_COUNT,
  macs: FilterMatch.FILTER_MATCH_MACS,
});

export const LR_SCHEDULE_NAMES = enumNames<LrScheduleName, LrSchedule>({
  constant: LrSchedule.LR_SCHEDULE_CONSTANT,
  step: LrSchedule.LR_SCHEDULE_STEP,
  cosine: LrSchedule.LR_SCHEDULE_COSINE,
});

/**
 * The formats a model is downloaded in (unspecified: TF.js layers, as stored), named as
 * @prune/models names the formats it writes (the candidates service, which converts, passes one
 * to the other, so the compiler keeps them equal; this library stays free of TF.js).
 */
export const MODEL_FORMAT_NAMES = enumNames<'tfjs' | 'keras' | 'h5' | 'onnx', ModelFormat>({
  tfjs: ModelFormat.MODEL_FORMAT_TFJS_LAYERS,
  keras: ModelFormat.MODEL_FORMAT_KERAS,
  h5: ModelFormat.MODEL_FORMAT_KERAS_H5,
  onnx: ModelFormat.MODEL_FORMAT_ONNX,
});

/**
 * The corruptions a model is assessed on, named as CIFAR-10-C and @prune/assessment name them (the
 * trainer passes one to the other, so the compiler keeps them equal; this library stays free of TF.js).
 */
export const CORRUPTION_NAMES = enumNames<
  | 'gaussian_noise'
  | 'shot_noise'
  | 'impulse_noise'
  | 'defocus_blur'
  | 'gaussian_blur'
  | 'contrast'
  | 'brightness'
  | 'saturate'
  | 'jpeg_compression'
  | 'pixelate',
  Corruption
>({
  gaussian_noise: Corruption.CORRUPTION_GAUSSIAN_NOISE,
  shot_noise: Corruption.CORRUPTION_SHOT_NOISE,
  impulse_noise: Corruption.CORRUPTION_IMPULSE_NOISE,
  defocus_blur: Corruption.CORRUPTION_DEFOCUS_BLUR,
  gaussian_blur: Corruption.CORRUPTION_GAUSSIAN_BLUR,
  contrast: Corruption.CORRUPTION_CONTRAST,
  brightness: Corruption.CORRUPTION_BRIGHTNESS,
  saturate: Corruption.CORRUPTION_SATURATE,
  jpeg_compression: Corruption.CORRUPTION_JPEG_COMPRESSION,
  pixelate: Corruption.CORRUPTION_PIXELATE,
});
