export {
  DEFAULT_TRAIN_CONFIG,
  LR_SCHEDULES,
  resolveTrainConfig,
  TRAIN_LIMITS,
  TrainConfigError,
} from './train-config.js';
export type { LrScheduleName, TrainConfig } from './train-config.js';
