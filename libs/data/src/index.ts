export { sharedDir } from './shared-dir.js';
export {
  CIFAR10_CLASSES,
  classBalancedSample,
  sameKind,
  seededRandom,
  selectExamples,
  takeFirst,
} from './labeled-images.js';
export type { LabeledImages } from './labeled-images.js';
export { loadCifar10Lossless4000 } from './cifar10-lossless.js';
export { cacheDir } from './cache-dir.js';
export { CIFAR10_SPLIT_SIZES, cifar10JpegArchive, loadCifar10Jpeg, loadJpegArchive } from './cifar10-jpeg.js';
export type { CifarSplit } from './cifar10-jpeg.js';
export { classBalancedIndices } from './labeled-images.js';
export { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, loadFashionMnist } from './fashion-mnist.js';
export {
  DATASET_URIS,
  datasetInfo,
  DatasetUriError,
  isCsvFamily,
  isDatasetFamily,
  openDataset,
  openDatasetSample,
  splitValidation,
  VALIDATION_SEED,
  VALIDATION_SIZE,
} from './dataset-uri.js';
export type { DatasetInfo } from './dataset-uri.js';
export { epochOrder, gatherBatch } from './augment.js';
export { dataRoots, fileUnderRoots } from './allowed-roots.js';
export { CsvDatasetError, loadCsvDataset } from './csv-dataset.js';
export type { CsvOptions, CsvSplit } from './csv-dataset.js';
