// Every backend this machine has (native TensorFlow where its binding was built, wasm always)
// computes the same outputs and gradients as the reference cpu backend, to 1e-4: our wasm
// convolution gradients, our batch-norm training paths (fused kernels on TensorFlow, our own on
// wasm), our layer normalization's analytic gradient, and a whole ResNet training step.
import { describe, expect, it } from 'vitest';
import { BatchNormalization, initBackend, LayerNormalization, makeTrainStep, tf, tfl } from '@prune/compute';
import { nativeBindingLoads, relativeError, smallResNet } from './fixtures.js';

/** The backends under test: PRUNE_BACKEND alone when set (CI's wasm pass), else every one present. */
const BACKENDS: ('wasm' | 'tensorflow')[] =
  process.env['PRUNE_BACKEND'] === 'wasm' ? ['wasm'] : nativeBindingLoads() ? ['tensorflow', 'wasm'] : ['wasm'];

async function onBackend<T>(name: 'cpu' | 'wasm' | 'tensorflow', f: () => T): Promise<T> {
  await initBackend(name, () => {});
  return f();
}

function seeded(shape: number[], seed: number): Float32Array {
  return tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed).dataSync() as Float32Array);
}

interface Case {
  input: [number, number, number, number];
  kernel: number;
  inC: number;
  outC: number;
  stride: number;
  pad: 'same' | 'valid';
}

const cases: Case[] = [];
for (const kernel of [1, 3])
  for (const stride of [1, 2])
    for (const pad of ['same', 'valid'] as const) {
      cases.push({ input: [3, 9, 8, 5], kernel, inC: 5, outC: 6, stride, pad });
    }
// The shapes of a CIFAR ResNet's stride-2 convolutions, with explicit padding as in our models.
cases.push({ input: [2, 34, 34, 16], kernel: 3, inC: 16, outC: 32, stride: 2, pad: 'valid' });
cases.push({ input: [2, 16, 16, 16], kernel: 1, inC: 16, outC: 32, stride: 2, pad: 'same' });

describe.each(BACKENDS)('%s conv2d gradients match the cpu backend', (backend) => {
  it.each(cases)('kernel $kernel, stride $stride, padding $pad, input $input', async (c) => {
    const xData = seeded(c.input, 1);
    const wData = seeded([c.kernel, c.kernel, c.inC, c.outC], 2);
    const gradients = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xData, c.input);
        const w = tf.tensor4d(wData, [c.kernel, c.kernel, c.inC, c.outC]);
        // A non-uniform upstream gradient: sum of squares of the output.
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)));
        return tf
          .grads(f)([x, w])
          .map((g) => g.dataSync() as Float32Array);
      });
    const [dxCpu, dwCpu] = await onBackend('cpu', gradients);
    const [dxActual, dwActual] = await onBackend(backend, gradients);
    expect(relativeError(dxActual!, dxCpu!)).toBeLessThanOrEqual(1e-4);
    expect(relativeError(dwActual!, dwCpu!)).toBeLessThanOrEqual(1e-4);
  });

  it('fused conv2d (what tfjs-layers calls) uses the same kernels', async () => {
    const xData = seeded([2, 8, 8, 4], 3);
    const wData = seeded([3, 3, 4, 8], 4);
    const gradients = () =>
      tf.tidy(() => {
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(
            tf.square(tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, strides: 2, pad: 'same' })),
          );
        return tf
          .grads(f)([tf.tensor4d(xData, [2, 8, 8, 4]), tf.tensor4d(wData, [3, 3, 4, 8])])
          .map((g) => g.dataSync() as Float32Array);
      });
    const cpu = await onBackend('cpu', gradients);
    const actual = await onBackend(backend, gradients);
    for (let i = 0; i < 2; i++) expect(relativeError(actual[i]!, cpu[i]!)).toBeLessThanOrEqual(1e-4);
  });
});

describe('fast BatchNormalization', () => {
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
        const dx = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, { training: true }) as tf.Tensor, weight)))(
          x,
        );
        return {
          value: value.dataSync()[0]!,
          dx: dx.dataSync() as Float32Array,
          grads: Object.values(grads).map((g) => g.dataSync() as Float32Array),
          weights: layer.getWeights().map((w) => w.dataSync() as Float32Array),
        };
      });
    for (const backend of ['cpu', ...BACKENDS] as const) {
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

  it('inference (population statistics) matches the stock layer on every backend', async () => {
    const shape: [number, number, number, number] = [3, 4, 4, 5];
    const xData = seeded(shape, 9);
    const run = (layer: tfl.layers.Layer) =>
      tf.tidy(() => {
        layer.build(shape);
        layer.setWeights([
          tf.linspace(0.5, 1.5, 5),
          tf.linspace(-0.2, 0.3, 5),
          tf.linspace(-1, 1, 5),
          tf.linspace(0.5, 2, 5),
        ]);
        return (layer.apply(tf.tensor4d(xData, shape), { training: false }) as tf.Tensor).dataSync() as Float32Array;
      });
    for (const backend of ['cpu', ...BACKENDS] as const) {
      await initBackend(backend, () => {});
      const stock = run(tfl.layers.batchNormalization({ epsilon: 1e-3 }));
      expect(relativeError(run(new BatchNormalization({ epsilon: 1e-3 })), stock), backend).toBeLessThanOrEqual(1e-5);
    }
  });

  it('keeps the Keras class name and config, so saved models load into it', async () => {
    const input = tfl.input({ shape: [4, 4, 3] });
    const output = tfl.layers.batchNormalization({ epsilon: 1e-3, name: 'bn' }).apply(input) as tfl.SymbolicTensor;
    const json = tfl
      .model({ inputs: input, outputs: output })
      .toJSON(undefined, false) as tf.io.ModelJSON['modelTopology'];
    const loaded = await tfl.models.modelFromJSON({ modelTopology: json } as never);
    const bn = loaded.getLayer('bn');
    expect(bn).toBeInstanceOf(BatchNormalization);
    expect(bn.getClassName()).toBe('BatchNormalization');
    expect(bn.getConfig()['epsilon']).toBe(1e-3);
  });
});

describe('fast LayerNormalization', () => {
  it('matches the stock tfjs-layers layer on every backend: output and gradients of x, gamma and beta', async () => {
    const shape = [3, 7, 6];
    const xData = seeded(shape, 11).map((v, i) => v * (1 + (i % 6)) + (i % 5)); // per-token scale and offset
    const run = (layer: tfl.layers.Layer) =>
      tf.tidy(() => {
        const x = tf.tensor3d(xData, shape as [number, number, number]);
        layer.build(shape);
        layer.setWeights([tf.linspace(0.5, 1.5, 6), tf.linspace(-0.2, 0.3, 6)]);
        const weight = tf.randomNormal(shape, 0, 1, 'float32', 12);
        const loss = (xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx) as tf.Tensor, weight)) as tf.Scalar;
        const { value, grads } = tf.variableGrads(() => loss(x));
        return {
          value: value.dataSync()[0]!,
          dx: tf.grad(loss)(x).dataSync() as Float32Array,
          grads: Object.values(grads).map((g) => g.dataSync() as Float32Array),
        };
      });
    for (const backend of ['cpu', ...BACKENDS] as const) {
      await initBackend(backend, () => {});
      const stock = run(tfl.layers.layerNormalization({ epsilon: 1e-5 }));
      const fast = run(new LayerNormalization({ epsilon: 1e-5 }));
      expect(Math.abs(fast.value - stock.value), backend).toBeLessThan(1e-4 * Math.max(1, Math.abs(stock.value)));
      expect(relativeError(fast.dx, stock.dx), backend).toBeLessThanOrEqual(1e-4);
      expect(fast.grads).toHaveLength(2);
      for (let i = 0; i < 2; i++)
        expect(relativeError(fast.grads[i]!, stock.grads[i]!), backend).toBeLessThanOrEqual(1e-4);
    }
  });
});

describe.each(BACKENDS)('a whole training step on %s matches the cpu backend', (backend) => {
  it('loss, every gradient, and the weights and moving statistics after an SGD step', async () => {
    const xData = seeded([6, 8, 8, 3], 8);
    const labels = [0, 1, 2, 3, 4, 5];
    const step = async (name: 'cpu' | typeof backend) =>
      onBackend(name, () => {
        const model = smallResNet();
        const [x, y] = [tf.tensor4d(xData, [6, 8, 8, 3]), tf.tensor1d(labels, 'int32')];
        const { value, grads } = tf.variableGrads(
          () =>
            tf.losses.softmaxCrossEntropy(
              tf.oneHot(y, 10),
              model.apply(x, { training: true }) as tf.Tensor,
            ) as tf.Scalar,
        );
        const gradients = model.trainableWeights.map(
          (w) => grads[(w.read() as tf.Variable).name]!.dataSync() as Float32Array,
        );
        const loss = value.dataSync()[0]!;
        tf.dispose([value, ...Object.values(grads)]);
        const kernels = model.trainableWeights.filter((w) => w.originalName.endsWith('/kernel'));
        makeTrainStep(model, tf.train.momentum(0.1, 0.9, true), { weightDecay: 5e-4, decayedWeights: kernels })(x, y);
        const after = model.getWeights().map((w) => w.dataSync() as Float32Array);
        tf.dispose([x, y]);
        model.dispose();
        return { loss, gradients, after };
      });
    const reference = await step('cpu');
    const actual = await step(backend);
    expect(Math.abs(actual.loss - reference.loss)).toBeLessThan(1e-4 * reference.loss);
    expect(actual.gradients).toHaveLength(reference.gradients.length);
    actual.gradients.forEach((g, i) =>
      expect(relativeError(g, reference.gradients[i]!), `gradient ${i}`).toBeLessThanOrEqual(1e-4),
    );
    actual.after.forEach((w, i) =>
      expect(relativeError(w, reference.after[i]!), `weight ${i} after the step`).toBeLessThanOrEqual(1e-4),
    );
  });
});

describe('training step', () => {
  it('applies weight decay to the weights it is given, in every model, not only the first one built', async () => {
    await initBackend('wasm', () => {});
    const { makeTrainStep } = await import('@prune/compute');
    const build = () =>
      tfl.sequential({
        layers: [tfl.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'ones', biasInitializer: 'zeros' })],
      });
    build(); // an earlier model: later ones get suffixed variable names
    const kernelAfterStep = (decay: number) => {
      const model = build();
      const step = makeTrainStep(model, tf.train.sgd(0.1), {
        weightDecay: decay,
        decayedWeights: [model.layers[0]!.weights[0]!],
      });
      step(tf.zeros([1, 3]) as never, tf.tensor1d([0], 'int32'));
      return model.getWeights()[0]!.dataSync()[0]!;
    };
    // zero input: the loss gradient of the kernel is 0, so only decay moves it: 1 - 0.1 * 0.5
    expect(kernelAfterStep(0)).toBe(1);
    expect(kernelAfterStep(0.5)).toBeCloseTo(0.95, 6);
  });

  it('distils: toward a teacher that agrees nothing moves; weight 0 is plain training; the mix is as written', async () => {
    await initBackend('wasm', () => {});
    const dense = (seed: number) =>
      tfl.sequential({
        layers: [
          tfl.layers.dense({ units: 3, inputShape: [4], kernelInitializer: tfl.initializers.glorotNormal({ seed }) }),
        ],
      });
    const x = tf.tensor2d([
      [1, 2, 0, -1],
      [0.5, -1, 2, 1],
    ]) as never;
    const y = tf.tensor1d([0, 2], 'int32');
    const afterStep = (
      student: tfl.LayersModel,
      teacher?: { model: tfl.LayersModel; weight: number; temperature: number },
    ) => {
      const result = makeTrainStep(student, tf.train.sgd(0.5), { teacher })(x, y);
      return { loss: result.loss, kernel: Array.from(student.getWeights()[0]!.dataSync()) };
    };
    const copy = (model: tfl.LayersModel) => {
      const twin = dense(1);
      twin.setWeights(model.getWeights());
      return twin;
    };
    const student = dense(1);
    const before = Array.from(student.getWeights()[0]!.dataSync());
    // its own twin as the teacher, labels weighted 0: the soft targets are its outputs, the gradient 0
    expect(afterStep(copy(student), { model: copy(student), weight: 1, temperature: 3 }).kernel).toEqual(
      before.map((v) => expect.closeTo(v, 6)),
    );
    // weight 0: exactly the labels' step
    const plain = afterStep(copy(student));
    expect(afterStep(copy(student), { model: dense(2), weight: 0, temperature: 3 })).toEqual(plain);
    // half and half at T 2: (CE + 4 x CE(soft targets, logits / 2)) / 2
    const teacher = dense(2);
    const mixed = afterStep(copy(student), { model: teacher, weight: 0.5, temperature: 2 });
    const expected = tf.tidy(() => {
      const logits = student.predict(x) as tf.Tensor;
      const hard = tf.losses.softmaxCrossEntropy(tf.oneHot(y, 3), logits);
      const soft = tf.softmax(tf.div(teacher.predict(x) as tf.Tensor, 2));
      const distilled = tf.losses.softmaxCrossEntropy(soft, tf.div(logits, 2));
      return tf.add(tf.mul(hard, 0.5), tf.mul(distilled, 2)).dataSync()[0]!;
    });
    expect(mixed.loss).toBeCloseTo(expected, 5);
    expect(mixed.kernel).not.toEqual(plain.kernel);
  });

  it('refuses a weight decay without the weights it applies to', () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
    expect(() => makeTrainStep(model, tf.train.sgd(0.1), { weightDecay: 1e-4 })).toThrow(/decayedWeights/);
  });
});
