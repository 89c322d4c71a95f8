// The wasm training kernels must compute the same gradients as the reference cpu backend.
import { beforeAll, describe, expect, it } from 'vitest';
import { BatchNormalization, initBackend, tf, tfl } from '@prune/compute';

/** Largest |a-b| relative to the largest |reference|, so 1e-4 means "agrees to 4 digits". */
function relativeError(actual: Float32Array, reference: Float32Array): number {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < reference.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - reference[i]!));
    maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  }
  return maxDiff / maxRef;
}

async function onBackend<T>(name: 'cpu' | 'wasm', f: () => T): Promise<T> {
  await initBackend(name, () => {});
  return f();
}

function seeded(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}

interface Case { input: [number, number, number, number]; kernel: number; inC: number; outC: number; stride: number; pad: 'same' | 'valid' }

const cases: Case[] = [];
for (const kernel of [1, 3]) for (const stride of [1, 2]) for (const pad of ['same', 'valid'] as const) {
  cases.push({ input: [3, 9, 8, 5], kernel, inC: 5, outC: 6, stride, pad });
}
// The shapes of a CIFAR ResNet's stride-2 convolutions, with explicit padding as in our models.
cases.push({ input: [2, 34, 34, 16], kernel: 3, inC: 16, outC: 32, stride: 2, pad: 'valid' });
cases.push({ input: [2, 16, 16, 16], kernel: 1, inC: 16, outC: 32, stride: 2, pad: 'same' });

describe('wasm conv2d gradients match the cpu backend', () => {
  beforeAll(async () => {
    await initBackend('wasm', () => {});
  });

  it.each(cases)('kernel $kernel, stride $stride, padding $pad, input $input', async (c) => {
    const xData = seeded(c.input, 1);
    const wData = seeded([c.kernel, c.kernel, c.inC, c.outC], 2);
    const gradients = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xData, c.input);
        const w = tf.tensor4d(wData, [c.kernel, c.kernel, c.inC, c.outC]);
        // A non-uniform upstream gradient: sum of squares of the output.
        const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)));
        return tf.grads(f)([x, w]).map((g) => g.dataSync() as Float32Array);
      });
    const [dxCpu, dwCpu] = await onBackend('cpu', gradients);
    const [dxWasm, dwWasm] = await onBackend('wasm', gradients);
    expect(relativeError(dxWasm!, dxCpu!)).toBeLessThanOrEqual(1e-4);
    expect(relativeError(dwWasm!, dwCpu!)).toBeLessThanOrEqual(1e-4);
  });

  it('fused conv2d (what tfjs-layers calls) uses the same kernels', async () => {
    const xData = seeded([2, 8, 8, 4], 3);
    const wData = seeded([3, 3, 4, 8], 4);
    const gradients = () =>
      tf.tidy(() => {
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: 'same' })));
        return tf.grads(f)([tf.tensor4d(xData, [2, 8, 8, 4]), tf.tensor4d(wData, [3, 3, 4, 8])]).map((g) => g.dataSync() as Float32Array);
      });
    const cpu = await onBackend('cpu', gradients);
    const wasm = await onBackend('wasm', gradients);
    for (let i = 0; i < 2; i++) expect(relativeError(wasm[i]!, cpu[i]!)).toBeLessThanOrEqual(1e-4);
  });
});

describe('fast BatchNormalization training path', () => {
  it('matches the stock tfjs-layers layer: output, gradients and moving statistics', async () => {
    const shape = [4, 5, 5, 6];
    const xData = seeded(shape, 5);
    const run = (layer: tfl.layers.Layer) =>
      tf.tidy(() => {
        const x = tf.tensor4d(xData, shape as [number, number, number, number]);
        layer.build(shape);
        layer.setWeights([tf.linspace(0.5, 1.5, 6), tf.linspace(-0.2, 0.3, 6), tf.zeros([6]), tf.ones([6])]);
        const weight = tf.randomNormal(shape, 0, 1, 'float32', 6);
        const { value, grads } = tf.variableGrads(() => {
          const y = layer.apply(x, { training: true }) as tf.Tensor;
          return tf.sum(tf.mul(y, weight)) as tf.Scalar;
        });
        const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, { training: true }) as tf.Tensor, weight)))(x);
        return {
          value: value.dataSync()[0]!,
          dx: dx.dataSync() as Float32Array,
          grads: Object.values(grads).map((g) => g.dataSync() as Float32Array),
          weights: layer.getWeights().map((w) => w.dataSync() as Float32Array),
        };
      });
    for (const backend of ['cpu', 'wasm'] as const) {
      await initBackend(backend, () => {});
      const stock = run(tfl.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
      const fast = run(new BatchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
      expect(Math.abs(fast.value - stock.value)).toBeLessThan(1e-4 * Math.max(1, Math.abs(stock.value)));
      expect(relativeError(fast.dx, stock.dx)).toBeLessThanOrEqual(1e-4);
      expect(fast.grads).toHaveLength(2);
      for (let i = 0; i < 2; i++) expect(relativeError(fast.grads[i]!, stock.grads[i]!)).toBeLessThanOrEqual(1e-4);
      // moving mean and variance after two training-mode calls
      for (let i = 2; i < 4; i++) expect(relativeError(fast.weights[i]!, stock.weights[i]!)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('keeps the Keras class name and config, so saved models load into it', async () => {
    const input = tfl.input({ shape: [4, 4, 3] });
    const output = tfl.layers.batchNormalization({ epsilon: 1e-3, name: 'bn' }).apply(input) as tfl.SymbolicTensor;
    const json = tfl.model({ inputs: input, outputs: output }).toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'];
    const loaded = await tfl.models.modelFromJSON({ modelTopology: json } as never);
    const bn = loaded.getLayer('bn');
    expect(bn).toBeInstanceOf(BatchNormalization);
    expect(bn.getClassName()).toBe('BatchNormalization');
    expect(bn.getConfig()['epsilon']).toBe(1e-3);
  });
});

describe('training step', () => {
  it('applies weight decay to the kernels of every model, not only the first one built', async () => {
    await initBackend('wasm', () => {});
    const { makeTrainStep } = await import('@prune/compute');
    const build = () => tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'ones', biasInitializer: 'zeros' })] });
    build(); // an earlier model: later ones get suffixed variable names
    const kernelAfterStep = (decay: number) => {
      const model = build();
      makeTrainStep(model, tf.train.sgd(0.1), { weightDecay: decay })(tf.zeros([1, 3]) as never, tf.tensor1d([0], 'int32'));
      return model.getWeights()[0]!.dataSync()[0]!;
    };
    // zero input: the loss gradient of the kernel is 0, so only decay moves it: 1 - 0.1 * 0.5
    expect(kernelAfterStep(0)).toBe(1);
    expect(kernelAfterStep(0.5)).toBeCloseTo(0.95, 6);
  });
});
