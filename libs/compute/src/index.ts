export * as tf from '@tensorflow/tfjs-core';
export * as tfl from '@tensorflow/tfjs-layers';
export {
  activeEngine,
  BACKEND_NAMES,
  BackendError,
  checkBackend,
  initBackend,
  parseBackendName,
  parseThreads,
} from './backend.js';
export type { ActiveBackend, BackendName } from './backend.js';
export { registerWasmTrainingKernels } from './wasm-kernels.js';
export { makeReplicaStep, makeTrainStep } from './train-step.js';
export type { ReplicaStep, ShardGradients, TrainStepOptions, TrainStepResult } from './train-step.js';
export { BatchNormalization, batchNormalization, batchNormTraining } from './batch-norm.js';
export { LayerNormalization, layerNormalization, layerNormLastAxis } from './layer-norm.js';
export { medianMs } from './timing.js';
export { predictInOnePass } from './predict.js';
