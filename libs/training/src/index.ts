// The configuration (fields, defaults, check) lives in @prune/train-config, which needs no TF.js.
export { DEFAULT_TRAIN_CONFIG, resolveTrainConfig, TrainConfigError } from '@prune/train-config';
export type { LrScheduleName, TrainConfig } from '@prune/train-config';
export { learningRateAt } from './learning-rate.js';
export { restoreCheckpoint, writeCheckpoint } from './checkpoint.js';
export type { CheckpointState } from './checkpoint.js';
export { trainModel, TrainingAborted } from './train.js';
export type { TrainOptions, TrainProgress, TrainResult } from './train.js';
export {
  evaluateModel,
  evaluationBatch,
  extractRepresentations,
  MAX_EVALUATION_BATCH,
  MAX_SAMPLES_PER_EXAMPLE,
} from './evaluate.js';
export type { StochasticSampling } from './evaluate.js';
export { evaluationReplicas, MAX_EVALUATION_REPLICAS } from './evaluation-replicas.js';
export { resolvePreprocessing } from './preprocessing.js';
export { DataParallelStep, shardSizes } from './replicas.js';
export type { ReplicaOptions } from './replicas.js';
