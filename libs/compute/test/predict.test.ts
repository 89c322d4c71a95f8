// Evaluation runs a whole batch through the model at once: tfjs-layers' predict alone would cut
// it into passes of 32, each paying TensorFlow's per-operation overhead again.
import { beforeAll, expect, it } from 'vitest';
import { initBackend, predictInOnePass, tf, tfl } from '@prune/compute';

beforeAll(async () => {
  await initBackend(undefined, () => {});
});

it('computes a batch of 100 in one forward pass, with the same outputs as predict', () => {
  const input = tfl.input({ shape: [4] });
  const dense = tfl.layers.dense({ units: 3, kernelInitializer: 'glorotUniform' });
  const model = tfl.model({ inputs: input, outputs: dense.apply(input) as tfl.SymbolicTensor });
  const x = tf.randomNormal([100, 4], 0, 1, 'float32', 1);
  const passes: number[] = [];
  const call = dense.call.bind(dense);
  dense.call = (inputs, kwargs) => {
    passes.push((Array.isArray(inputs) ? inputs[0]! : inputs).shape[0]!);
    return call(inputs, kwargs);
  };
  const whole = predictInOnePass(model, x);
  expect(passes).toEqual([100]);
  const chunked = model.predict(x) as tf.Tensor;
  expect(passes).toEqual([100, 32, 32, 32, 4]);
  // Equal up to rounding: a kernel may order its sums differently for another batch size.
  expect(tf.max(tf.abs(tf.sub(whole, chunked))).dataSync()[0]).toBeLessThan(1e-6);
  tf.dispose([x, whole, chunked]);
});
