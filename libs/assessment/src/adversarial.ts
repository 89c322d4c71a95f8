// Robustness to adversarial inputs: FGSM (Goodfellow et al. 2015) and PGD (Madry et al. 2018),
// with epsilon in pixel space (1/255 moves a pixel by one level), so a model's own input
// normalisation is respected: the perturbation is made on pixels, clipped to 0..255, and then
// preprocessed as the model expects.
import { tf, type tfl } from '@prune/compute';
import { InvalidArgumentError } from '@prune/errors';
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
  /** PGD iterations (0: FGSM only). The default attack of the CLI is 5, a weak PGD: a lower bound on what an attacker achieves. */
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
  const batchSize = options.batchSize ?? 100;
  const steps = options.pgdSteps ?? 0;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new InvalidArgumentError(`batchSize: ${batchSize} is not a positive integer`);
  if (!Number.isInteger(steps) || steps < 0)
    throw new InvalidArgumentError(`pgdSteps: ${steps} is not a whole number >= 0`);
  for (const e of options.epsilons)
    if (!(e >= 0 && e <= 1)) throw new InvalidArgumentError(`epsilons: ${e} is not a fraction of 255 in 0..1`);
  if (data.count === 0) throw new InvalidArgumentError('data: no examples to attack');
  const probabilities = outputsAreProbabilities(LayerGraph.of(model));
  const attacks: ['fgsm' | 'pgd', number][] = options.epsilons.flatMap((e) => [
    ['fgsm', e] as ['fgsm', number],
    ...(steps ? [['pgd', e] as ['pgd', number]] : []),
  ]);
  const correct = new Array<number>(attacks.length).fill(0);
  const size = data.height * data.width * data.channels;
  for (let start = 0; start < data.count; start += batchSize) {
    const n = Math.min(batchSize, data.count - start);
    const shape: [number, number, number, number] = [n, data.height, data.width, data.channels];
    const pixels = tf.tensor4d(data.pixels.subarray(start * size, (start + n) * size), shape, 'float32');
    const labels = tf.tensor1d(data.labels.subarray(start, start + n), 'int32');
    const logProbs = (x: tf.Tensor4D) =>
      logProbabilities(model.apply(preprocessPixels(x, preprocessing)) as tf.Tensor, probabilities);
    // The direction of steepest ascent of the cross-entropy, in pixels.
    const ascent = (x: tf.Tensor4D) =>
      tf.tidy(() => {
        const grad = tf.grad((input: tf.Tensor) => {
          const lp = logProbs(input as tf.Tensor4D);
          return tf.neg(tf.sum(tf.mul(lp, tf.oneHot(labels, lp.shape[1]!)))) as tf.Scalar;
        });
        return tf.sign(grad(x)) as tf.Tensor4D;
      });
    const hits = (x: tf.Tensor4D) =>
      tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logProbs(x), 1), labels), 'int32')).dataSync()[0]!);
    const fgsmDirection = ascent(pixels);
    attacks.forEach(([attack, epsilon], i) => {
      const budget = epsilon * 255;
      if (attack === 'fgsm') {
        correct[i]! += tf.tidy(() =>
          hits(tf.clipByValue(tf.add(pixels, tf.mul(fgsmDirection, budget)), 0, 255) as tf.Tensor4D),
        );
        return;
      }
      // PGD: steps of 2.5 epsilon / steps from a random start in the ball, projected back into it.
      const step = (2.5 * budget) / steps;
      let x = tf.tidy(() =>
        tf.clipByValue(tf.add(pixels, tf.randomUniform(shape, -budget, budget, 'float32', 1)), 0, 255),
      ) as tf.Tensor4D;
      for (let s = 0; s < steps; s++) {
        const next = tf.tidy(() => {
          const moved = tf.add(x, tf.mul(ascent(x), step));
          return tf.clipByValue(
            tf.minimum(tf.maximum(moved, tf.sub(pixels, budget)), tf.add(pixels, budget)),
            0,
            255,
          ) as tf.Tensor4D;
        });
        x.dispose();
        x = next;
      }
      correct[i]! += hits(x);
      x.dispose();
    });
    tf.dispose([pixels, labels, fgsmDirection]);
  }
  return attacks.map(([attack, epsilon], i) => ({ attack, epsilon, accuracy: correct[i]! / data.count }));
}
