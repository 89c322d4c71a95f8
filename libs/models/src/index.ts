export { OptionAShortcut } from './option-a-shortcut.js';
export type { OptionAShortcutConfig } from './option-a-shortcut.js';
export { blocksPerStage, buildCifarResNet } from './cifar-resnet.js';
export { buildTransformer } from './transformer.js';
export type { TransformerOptions } from './transformer.js';
export { MultiHeadSelfAttention } from './multi-head-self-attention.js';
export type { MultiHeadSelfAttentionConfig } from './multi-head-self-attention.js';
export { PositionEmbedding } from './position-embedding.js';
export type { CifarResNetOptions } from './cifar-resnet.js';
export {
  CIFAR_RESNET_PREPROCESSING,
  assertPreprocessingChannels,
  MissingPreprocessingError,
  parsePreprocessing,
  PREPROCESSING_PRESETS,
  PREPROCESSING_SYNTAX,
  preprocessImages,
  preprocessPixels,
} from './preprocessing.js';
export type { Preprocessing } from './preprocessing.js';
export { ModelFormatError, requirePreprocessing } from './metadata.js';
export type { ModelMetadata } from './metadata.js';
export { loadLayersModel, modelArtifacts, modelFromArtifacts, saveLayersModel } from './layers-format.js';
export type { LoadedModel } from './layers-format.js';
export { loadKerasModel } from './keras-format.js';
export { loadPytorchManifestModel } from './pytorch-manifest.js';
export { loadModel } from './load-model.js';
export { assertFiniteWeights, firstNonFiniteWeight } from './finite-weights.js';
export { LayerGraph } from './layer-graph.js';
export type { LayerConfigJson, LayerNode, ModelConfigJson } from './layer-graph.js';
export { hasLayerRule, layerRule, registerLayerRule, supportedLayerClasses } from './layer-rules/registry.js';
export type { ChannelRole, LayerCostEstimate, LayerRule, LayerUnits, RuleNode } from './layer-rules/layer-rule.js';
export { decayedWeights } from './decayed-weights.js';
export {
  classifierInputLayer,
  findFilterGroups,
  findResidualBlocks,
  logProbabilities,
  outputsAreProbabilities,
  roleOf,
  widthOf,
  widthUnit,
} from './structures.js';
export type { FilterGroup, ResidualBlock } from './structures.js';
export { removeFilters, removeResidualBlocks } from './surgery.js';
export { modelCost, modelWidths } from './cost.js';
export type { LayerCost, LayerWidth, ModelCost } from './cost.js';
export { loadModelArtifact, putModelArtifact } from './model-artifacts.js';
export { saveKeras3Archive, saveKeras3H5 } from './keras3-export.js';
export { keras2Topology, loadKeras3Archive } from './keras3-format.js';
export { functionalFromSequential } from './keras-sequential.js';
export { exportOnnx, saveOnnxModel } from './onnx/onnx-export.js';
export type { OnnxExportOptions } from './onnx/onnx-export.js';
export { importOnnx, loadOnnxModel } from './onnx/onnx-import.js';
export { MODEL_FILE_FORMATS, modelFileFormatOf, RECORDS_PREPROCESSING, saveModelAs } from './model-files.js';
export type { ModelFileFormat } from './model-files.js';
export { foldForInference, withFoldedModel } from './fold-for-inference.js';
export { measureLatency } from './latency.js';
export type { LatencyMeasurement } from './latency.js';
export { hasFoldedBatchNorm, restoreBatchNorm } from './batch-norm-restore.js';
