export { DEFAULT_TRAIN_CONFIG, learningRateAt, resolveTrainConfig, TrainConfigError } from './config.js';
export type { LrScheduleName, TrainConfig } from './config.js';
export { restoreCheckpoint, writeCheckpoint } from './checkpoint.js';
export type { CheckpointState } from './checkpoint.js';
export { trainModel, TrainingAborted } from './train.js';
export type { TrainOptions, TrainProgress, TrainResult } from './train.js';
export { evaluateModel, extractRepresentations } from './evaluate.js';
export { resolvePreprocessing } from './preprocessing.js';
