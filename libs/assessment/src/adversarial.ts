// Robustness to adversarial inputs: FGSM (Goodfellow et al. 2015) and PGD (Madry et al. 2018),
// with epsilon in pixel space (1/255 moves a pixel by one level), so a model's own input
// normalisation is respected: the perturbation is made on pixels, clipped to 0..255, and then
// preprocessed as the model expects.
import { tf, type tfl } from '@prune/compute';
import type { LabeledImages } from '@prune/data';
import {
  LayerGraph,
  logProbabilities,
  outputsAreProbabilities,
  preprocessPixels,
  type Preprocessing,
} from '@prune/models';

export interface AttackOptions {
  /** Pixel-space budgets, as fractions of 255 (e.g. 8/255). */
  epsilons: number[];
  /** PGD iterations (0: FGSM only). */
  pgdSteps?: number;
  batchSize?: number;
}

export interface AttackAccuracy {
  attack: 'fgsm' | 'pgd';
  epsilon: number;
  accuracy: number;
}

/** Accuracy under FGSM (and PGD when pgdSteps > 0) at each epsilon, over `data`. */
export function adversarialAccuracy(
  model: tfl.LayersModel,
  preprocessing: Preprocessing,
  data: LabeledImages,
  options: AttackOptions,
): AttackAccuracy[] {
  const probabilities = outputsAreProbabilities(LayerGraph.of(model));
  const batchSize = options.batchSize ?? 100;
  const attacks: ['fgsm' | 'pgd', number][] = options.epsilons.flatMap((e) => [
    ['fgsm', e] as ['fgsm', number],
    ...(options.pgdSteps ? [['pgd', e] as ['pgd', number]] : []),
  ]);
  const correct = new Array<number>(attacks.length).fill(0);
  const size = data.height * data.width * data.channels;
  for (let start = 0; start < data.count; start += batchSize) {
    const n = Math.min(batchSize, data.count - start);
    tf.tidy(() => {
      const pixels = tf.tensor4d(
        data.pixels.subarray(start * size, (start + n) * size),
        [n, data.height, data.width, data.channels],
        'float32',
      );
      const labels = tf.tensor1d(data.labels.subarray(start, start + n), 'int32');
      const logits = (x: tf.Tensor4D) =>
        logProbabilities(model.apply(preprocessPixels(x, preprocessing)) as tf.Tensor, probabilities);
      const loss = (x: tf.Tensor4D) =>
        tf.neg(tf.sum(tf.mul(logits(x), tf.oneHot(labels, logits(x).shape[1]!)))) as tf.Scalar;
      const gradient = tf.grad((x: tf.Tensor) => loss(x as tf.Tensor4D));
      const hits = (x: tf.Tensor4D) =>
        tf.sum(tf.cast(tf.equal(tf.argMax(logits(x), 1), labels), 'int32')).dataSync()[0]!;
      attacks.forEach(([attack, epsilon], i) => {
        const budget = epsilon * 255;
        let x = tf.clipByValue(tf.add(pixels, tf.mul(tf.sign(gradient(pixels)), budget)), 0, 255) as tf.Tensor4D;
        if (attack === 'pgd') {
          // Steps of 2.5 * epsilon / steps from a random start in the ball (Madry et al.).
          const steps = options.pgdSteps!;
          const step = (2.5 * budget) / steps;
          x = tf.clipByValue(
            tf.add(pixels, tf.randomUniform(pixels.shape, -budget, budget, 'float32', 1)),
            0,
            255,
          ) as tf.Tensor4D;
          for (let s = 0; s < steps; s++) {
            const moved = tf.add(x, tf.mul(tf.sign(gradient(x)), step));
            x = tf.clipByValue(
              tf.minimum(tf.maximum(moved, tf.sub(pixels, budget)), tf.add(pixels, budget)),
              0,
              255,
            ) as tf.Tensor4D;
          }
        }
        correct[i]! += hits(budget === 0 ? pixels : x);
      });
    });
  }
  return attacks.map(([attack, epsilon], i) => ({ attack, epsilon, accuracy: correct[i]! / data.count }));
}
