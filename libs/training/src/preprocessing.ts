// Completes a model's preprocessing when it refers to data: the Keras models of Pons et al. were
// trained on RGB/255 minus the per-pixel mean of the 50,000 CIFAR-10 training images, which we
// compute from the same (JPEG) training images rather than store 3,072 numbers in every model.
import { openDataset } from '@prune/data';
import { requirePreprocessing, type ModelMetadata, type Preprocessing } from '@prune/models';

const MEAN_SOURCES: Record<string, string> = { 'cifar10:train': 'cifar10-jpeg:train-full' };
const cache = new Map<string, number[]>();

/** The model's preprocessing (an error says how to declare it if it has none), its mean computed if needed. */
export async function resolvePreprocessing(metadata: ModelMetadata): Promise<Preprocessing> {
  const preprocessing = requirePreprocessing(metadata);
  if (preprocessing.kind !== 'pixel-mean' || preprocessing.mean) return preprocessing;
  const uri = MEAN_SOURCES[preprocessing.meanOf] ?? preprocessing.meanOf;
  let mean = cache.get(uri);
  if (!mean) {
    const data = await openDataset(uri);
    const size = data.height * data.width * data.channels;
    const sums = new Float64Array(size);
    for (let i = 0; i < data.count; i++) {
      const image = data.pixels.subarray(i * size, (i + 1) * size);
      for (let j = 0; j < size; j++) sums[j]! += image[j]!;
    }
    mean = Array.from(sums, (s) => s / data.count / 255);
    cache.set(uri, mean);
  }
  return { ...preprocessing, mean };
}
