// Folding batch norm and ReLU into convolutions must not change what a model predicts.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf, tfl } from '@prune/compute';
import { batchNormalization } from '@prune/compute';
import { foldForInference, loadModel, type LoadedModel } from '@prune/models';
import { maxAbsDiff, PONS, predict, realImages, RESNET20 } from './helpers.js';

beforeAll(async () => {
  await initBackend();
});

const classNames = (model: tfl.LayersModel) => model.layers.map((l) => l.getClassName());
const count = (names: string[], name: string) => names.filter((n) => n === name).length;

/** Outputs of `model` and of its folded copy on real images, and the folded copy's layer classes. */
function compareFolded(model: tfl.LayersModel, x: tf.Tensor) {
  const folded = foldForInference(model);
  const [a, b] = [predict(model, x), predict(folded, x)];
  const result = {
    diff: maxAbsDiff(a, b),
    scale: tf.tidy(() => tf.max(tf.abs(a)).dataSync()[0]!),
    samePredictions: tf.tidy(() => tf.all(tf.equal(tf.argMax(a, 1), tf.argMax(b, 1))).dataSync()[0] === 1),
    classes: classNames(folded),
  };
  tf.dispose([a, b]);
  if (folded !== model) folded.dispose();
  return result;
}

describe('foldForInference', () => {
  let resnet20: LoadedModel;
  beforeAll(async () => {
    resnet20 = await loadModel(RESNET20);
  });

  it('folds every batch norm and ReLU of a pretrained ResNet-20 and predicts the same on real images', () => {
    const { x } = realImages(200, resnet20.metadata.preprocessing);
    const before = classNames(resnet20.model);
    const { diff, scale, samePredictions, classes } = compareFolded(resnet20.model, x);
    x.dispose();
    expect(count(before, 'BatchNormalization')).toBe(19);
    expect(count(classes, 'BatchNormalization')).toBe(0);
    // The ReLU after each block's first convolution is fused; the one after each residual add stays.
    expect(count(classes, 'Activation')).toBe(count(before, 'Activation') - 10);
    expect(count(classes, 'Conv2D')).toBe(count(before, 'Conv2D'));
    expect(diff).toBeLessThan(1e-4 * Math.max(1, scale));
    expect(samePredictions).toBe(true);
  });

  it('folds a Keras model whose convolutions have biases (ResNet-56, Pons et al.)', async () => {
    const pons = await loadModel(PONS('iter0'));
    const { x } = realImages(100, pons.metadata.preprocessing);
    const { diff, scale, samePredictions, classes } = compareFolded(pons.model, x);
    x.dispose();
    pons.model.dispose();
    expect(count(classes, 'BatchNormalization')).toBe(0);
    expect(diff).toBeLessThan(1e-4 * Math.max(1, scale));
    expect(samePredictions).toBe(true);
  });

  it('folds only where the convolution output goes to the batch norm alone', () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const conv = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv' }).apply(input);
    const bn = batchNormalization({ name: 'bn', center: false }).apply(conv);
    const joined = tfl.layers.add({ name: 'add' }).apply([conv, bn] as tfl.SymbolicTensor[]);
    const conv2 = tfl.layers.conv2d({ filters: 4, kernelSize: 1, useBias: false, name: 'conv2' }).apply(joined);
    const bn2 = batchNormalization({ name: 'bn2', scale: false }).apply(conv2) as tfl.SymbolicTensor;
    const relu = tfl.layers.activation({ activation: 'relu', name: 'relu' }).apply(bn2) as tfl.SymbolicTensor;
    // bn2 is both an output and read by relu: folded into conv2, but relu cannot be fused too.
    const model = tfl.model({ inputs: input, outputs: [relu, bn2] });
    for (const name of ['bn', 'bn2']) {
      const layer = model.getLayer(name);
      layer.setWeights(layer.getWeights().map((w, i) => tf.randomUniform(w.shape, 0.5, 1.5, 'float32', i)));
    }
    const folded = foldForInference(model);
    expect(folded.layers.map((l) => l.name)).toEqual(
      ['input1', 'conv', 'bn', 'add', 'conv2', 'relu'].map((n) => (n === 'input1' ? model.layers[0]!.name : n)),
    );
    const x = tf.randomNormal([5, 8, 8, 3], 0, 1, 'float32', 3);
    const [a, b] = [model.predict(x) as tf.Tensor[], folded.predict(x) as tf.Tensor[]];
    for (const k of [0, 1]) expect(maxAbsDiff(a[k]!, b[k]!)).toBeLessThan(1e-5);
    tf.dispose([x, ...a, ...b]);
    folded.dispose();
    model.dispose();
  });

  it('folds a Sequential model, and a constrained convolution keeps its folded weights unclipped', () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [8, 8, 3],
          filters: 4,
          kernelSize: 3,
          kernelConstraint: tfl.constraints.maxNorm({ maxValue: 1, axis: 0 }),
          name: 'conv',
        }),
        batchNormalization({ name: 'bn' }),
        tfl.layers.activation({ activation: 'relu', name: 'relu' }),
      ],
    });
    // gamma of 2-3 scales the kernel past the constraint's norm of 1.
    const bn = model.getLayer('bn');
    bn.setWeights(bn.getWeights().map((w, i) => tf.randomUniform(w.shape, i === 0 ? 2 : 0.5, i === 0 ? 3 : 1.5)));
    const folded = foldForInference(model);
    expect(classNames(folded)).not.toContain('BatchNormalization');
    const x = tf.randomNormal([5, 8, 8, 3], 0, 1, 'float32', 4);
    const [a, b] = [model.predict(x) as tf.Tensor, folded.predict(x) as tf.Tensor];
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    tf.dispose([x, a, b]);
    folded.dispose();
    model.dispose();
  });

  it('returns the model itself when it has no convolution to fold into', () => {
    const input = tfl.input({ shape: [4] });
    const dense = tfl.layers.dense({ units: 3 }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: dense });
    expect(foldForInference(model)).toBe(model);
    model.dispose();
  });
});
