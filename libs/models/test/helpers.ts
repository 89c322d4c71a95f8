import * as path from 'node:path';
import { tf, tfl } from '@prune/compute';
import { loadCifar10Lossless4000, sharedDir, takeFirst } from '@prune/data';
import { preprocessImages, type Preprocessing } from '@prune/models';

export const SHARED_MODELS = path.join(sharedDir(), 'models');
export const RESNET20 = path.join(SHARED_MODELS, 'resnet-cifar10/resnet20-12fca82f.manifest.json');
export const PONS = (name: string) => path.join(SHARED_MODELS, `keras-resnet56-pons/resnet56-pons-${name}.json`);

/**
 * `count` real CIFAR-10 images, normalized the way `preprocessing` says (x/255 for a model that
 * declares none: comparing two models on the same inputs needs no exact normalization).
 */
export function realImages(
  count: number,
  preprocessing: Preprocessing = { kind: 'channel-mean-std', mean: [0], std: [1] },
): { x: tf.Tensor4D; labels: Uint8Array } {
  const data = takeFirst(loadCifar10Lossless4000(), count);
  if (preprocessing.kind === 'pixel-mean' && !preprocessing.mean) {
    // The exact training mean is not needed to compare two models on the same inputs.
    preprocessing = { ...preprocessing, mean: new Array(32 * 32 * 3).fill(0.47) };
  }
  return { x: preprocessImages(data.pixels, [data.count, 32, 32, 3], preprocessing), labels: data.labels };
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

export function predict(model: tfl.LayersModel, x: tf.Tensor): tf.Tensor {
  return model.predict(x, { batchSize: 100 }) as tf.Tensor;
}

/** Sets gamma and beta of batch-norm `layer` to zero on `channels` (all when omitted), in place. */
export function zeroBatchNormChannels(model: tfl.LayersModel, layer: string, channels?: number[]): void {
  const bn = model.getLayer(layer);
  const [gamma, beta, mean, variance] = bn.getWeights();
  const c = gamma!.shape[0]!;
  const mask = tf.tensor1d(Array.from({ length: c }, (_, i) => (!channels || channels.includes(i) ? 0 : 1)));
  bn.setWeights([tf.mul(gamma!, mask), tf.mul(beta!, mask), mean!, variance!]);
}
