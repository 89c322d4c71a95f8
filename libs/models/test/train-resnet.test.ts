// Training works on the wasm backend: a small CIFAR ResNet fits real images and does not leak.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, makeTrainStep, tf } from '@prune/compute';
import { loadCifar10Lossless4000, takeFirst } from '@prune/data';
import { buildCifarResNet, CIFAR_RESNET_PREPROCESSING, decayedWeights, preprocessImages } from '@prune/models';

describe('training a CIFAR ResNet', () => {
  beforeAll(async () => {
    await initBackend(undefined, () => {});
  });

  it('the loss on 128 real CIFAR-10 images falls over 24 SGD steps, with no tensor leak', () => {
    const data = takeFirst(loadCifar10Lossless4000(), 128);
    const images = preprocessImages(data.pixels, [128, 32, 32, 3], CIFAR_RESNET_PREPROCESSING);
    const labels = tf.tensor1d(data.labels, 'int32');
    const model = buildCifarResNet({ depth: 8, seed: 1 });
    const step = makeTrainStep(model, tf.train.momentum(0.05, 0.9, true), {
      weightDecay: 1e-4,
      decayedWeights: decayedWeights(model),
    });
    const batches = [0, 32, 64, 96].map((start) => [tf.slice(images, start, 32), tf.slice(labels, start, 32)] as const);
    const epochLoss: number[] = [];
    let tensorsAfterFirstStep = -1;
    for (let epoch = 0; epoch < 6; epoch++) {
      let total = 0;
      for (const [x, y] of batches) {
        total += step(x as tf.Tensor4D, y as tf.Tensor1D).loss;
        if (tensorsAfterFirstStep < 0) tensorsAfterFirstStep = tf.memory().numTensors;
      }
      epochLoss.push(total / batches.length);
    }
    expect(epochLoss.every(Number.isFinite)).toBe(true);
    expect(epochLoss.at(-1)!).toBeLessThan(epochLoss[0]! * 0.7);
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstStep);
  });
});
