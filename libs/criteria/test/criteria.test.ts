import { beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { initBackend, tf, tfl } from '@prune/compute';
import { classBalancedSample, loadCifar10Lossless4000, loadFashionMnist, sharedDir } from '@prune/data';
import {
  buildTransformer,
  findFilterGroups,
  LayerGraph,
  loadModel,
  preprocessImages,
  removeFilters,
  removeResidualBlocks,
  requirePreprocessing,
  type LoadedModel,
} from '@prune/models';
import { criterionByName, klScores, l1Criterion, randomCriterion, type StructureScore } from '@prune/criteria';

const RESNET20 = path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json');
const maxDiff = (a: StructureScore[], b: StructureScore[]) =>
  Math.max(...a.map((s, i) => Math.abs(s.score - b[i]!.score)));

describe('KL criterion on the pretrained ResNet-20', () => {
  let loaded: LoadedModel;
  let calibration: tf.Tensor4D;

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    loaded = await loadModel(RESNET20);
    // class-balanced, from a training split (the lossless 4,000 are training images)
    const sample = classBalancedSample(loadCifar10Lossless4000(), 20, 3);
    expect(Array.from(sample.labels.subarray(0, 10))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    calibration = preprocessImages(sample.pixels, [20, 32, 32, 3], requirePreprocessing(loaded.metadata));
  });

  it('the fast path (resume from cached activations, batched variants) equals one full pass per structure', () => {
    const tensorsBefore = tf.memory().numTensors;
    const fastBlocks = klScores(loaded.model, calibration, 'block');
    const naiveBlocks = klScores(loaded.model, calibration, 'block', { mode: 'naive' });
    expect(fastBlocks.map((s) => s.id)).toEqual(naiveBlocks.map((s) => s.id));
    expect(fastBlocks).toHaveLength(7);
    expect(maxDiff(fastBlocks, naiveBlocks)).toBeLessThan(1e-5);
    const fastFilters = klScores(loaded.model, calibration, 'filter', { maxBatch: 100 });
    const naiveFilters = klScores(loaded.model, calibration, 'filter', { mode: 'naive' });
    expect(fastFilters).toHaveLength(3 * 16 + 3 * 32 + 3 * 64); // the first conv of each of the 9 blocks
    expect(maxDiff(fastFilters, naiveFilters)).toBeLessThan(1e-5);
    expect(fastFilters.every((s) => s.score >= -1e-7)).toBe(true);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('a filter that is already silent scores exactly 0', async () => {
    const group = findFilterGroups(LayerGraph.of(loaded.model))[4]!;
    const model = (await tfl.models.modelFromJSON({
      modelTopology: loaded.model.toJSON(null, false),
    } as never)) as tfl.LayersModel;
    model.setWeights(loaded.model.getWeights());
    const bn = model.getLayer(LayerGraph.of(model).get(group.producer).consumers[0]!);
    const [gamma, beta, mean, variance] = bn.getWeights();
    const mask = tf.reshape(tf.oneHot(tf.tensor1d([2], 'int32'), group.channels), [group.channels]);
    bn.setWeights([tf.mul(gamma!, tf.sub(1, mask)), tf.mul(beta!, tf.sub(1, mask)), mean!, variance!]);
    const scores = klScores(model, calibration, 'filter').filter((s) => s.id === group.id);
    expect(scores[2]!.score).toBe(0);
    expect(scores[1]!.score).toBeGreaterThan(0);
  });
});

describe('softmax is applied exactly once', () => {
  it('a model ending in softmax scores like the same model ending in logits', async () => {
    await initBackend(undefined, () => {});
    const build = (softmax: boolean) => {
      const input = tfl.input({ shape: [6, 6, 3] });
      let y = tfl.layers
        .conv2d({
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          name: 'c1',
          kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }),
        })
        .apply(input) as tfl.SymbolicTensor;
      y = tfl.layers.activation({ activation: 'relu', name: 'r1' }).apply(y) as tfl.SymbolicTensor;
      y = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(y) as tfl.SymbolicTensor;
      y = tfl.layers
        .dense({
          units: 5,
          activation: softmax ? 'softmax' : 'linear',
          name: 'out',
          kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }),
        })
        .apply(y) as tfl.SymbolicTensor;
      return tfl.model({ inputs: input, outputs: y });
    };
    const x = tf.randomNormal([8, 6, 6, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const withSoftmax = klScores(build(true), x, 'filter');
    const withLogits = klScores(build(false), x, 'filter');
    expect(withSoftmax).toHaveLength(4);
    expect(maxDiff(withSoftmax, withLogits)).toBeLessThan(1e-5);
    expect(Math.max(...withLogits.map((s) => s.score))).toBeGreaterThan(1e-4);
  });
});

describe('L1 and random criteria', () => {
  it("L1 scores are the filter weights' absolute sums; a block sums its branch kernels", async () => {
    await initBackend(undefined, () => {});
    const { model } = await loadModel(RESNET20);
    const filters = l1Criterion.scoreFilters(model, {});
    const kernel = model.getLayer('layer1.0.conv1').getWeights()[0]!.arraySync() as number[][][][];
    let manual = 0;
    for (const a of kernel) for (const b of a) for (const c of b) manual += Math.abs(c[5]!);
    const score = filters.find((s) => s.kind === 'filter' && s.id === 'layer1.0.conv1' && s.channel === 5)!;
    expect(score.score).toBeCloseTo(manual, 3);
    const blocks = l1Criterion.scoreBlocks(model, {});
    const sumAbs = (name: string) => tf.sum(tf.abs(model.getLayer(name).getWeights()[0]!)).dataSync()[0]!;
    expect(blocks.find((b) => b.id === 'layer1.1.add')!.score).toBeCloseTo(
      sumAbs('layer1.1.conv1') + sumAbs('layer1.1.conv2'),
      2,
    );
  });

  it('random scores are reproducible from the seed', async () => {
    const { model } = await loadModel(RESNET20);
    const a = randomCriterion.scoreFilters(model, { seed: 1 });
    expect(randomCriterion.scoreFilters(model, { seed: 1 })).toEqual(a);
    expect(randomCriterion.scoreFilters(model, { seed: 2 })).not.toEqual(a);
    expect(randomCriterion.scoreBlocks(model, { seed: 1 })).toHaveLength(7);
  });

  it('criteria are found by name; unknown names and missing data are clear errors', () => {
    expect(criterionByName('kl').needsData).toBe(true);
    expect(() => criterionByName('taylor2')).toThrow(/^criterion: unknown "taylor2"; available: kl, l1, random/);
    expect(() =>
      criterionByName('kl').scoreBlocks(
        tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1] })] }),
        {},
      ),
    ).toThrow('calibration: the kl criterion needs calibration data');
  });
});

describe('criteria on a Transformer: heads and encoder blocks', () => {
  let model: tfl.LayersModel;
  let calibration: tf.Tensor4D;

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    model = buildTransformer({
      inputShape: [28, 28, 1],
      numClasses: 10,
      blocks: 3,
      heads: 4,
      headDim: 8,
      modelDim: 32,
      feedForwardDim: 64,
      seed: 1,
    });
    const sample = classBalancedSample(loadFashionMnist('train'), 20, 3);
    calibration = preprocessImages(sample.pixels, [20, 28, 28, 1], { kind: 'channel-mean-std', mean: [0], std: [1] });
  });

  it('KL of a head (masked) and of a block (bypassed): the fast path equals the naive one, and equals removal', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const fastHeads = klScores(model, calibration, 'filter', { maxBatch: 60 });
    const naiveHeads = klScores(model, calibration, 'filter', { mode: 'naive' });
    expect(fastHeads.map((s) => s.kind === 'filter' && `${s.id}:${s.channel}`)).toEqual(
      ['block1', 'block2', 'block3'].flatMap((b) => [0, 1, 2, 3].map((h) => `${b}.attention:${h}`)),
    );
    expect(maxDiff(fastHeads, naiveHeads)).toBeLessThan(1e-5);
    const fastBlocks = klScores(model, calibration, 'block');
    expect(fastBlocks.map((s) => s.id)).toEqual(['block1.ffn_add', 'block2.ffn_add', 'block3.ffn_add']);
    expect(maxDiff(fastBlocks, klScores(model, calibration, 'block', { mode: 'naive' }))).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    // The score is the KL to the model without the structure: compare with the pruned models.
    const klTo = (pruned: tfl.LayersModel) =>
      tf.tidy(() => {
        const p = tf.logSoftmax(model.predict(calibration) as tf.Tensor);
        const q = tf.logSoftmax(pruned.predict(calibration) as tf.Tensor);
        return tf.mean(tf.sum(tf.mul(tf.exp(p), tf.sub(p, q)), 1)).dataSync()[0]!;
      });
    const withoutHead = await removeFilters(model, { 'block2.attention': [1] });
    expect(Math.abs(klTo(withoutHead) - fastHeads[5]!.score)).toBeLessThan(1e-5);
    const withoutBlock = await removeResidualBlocks(model, ['block2.ffn_add']);
    expect(Math.abs(klTo(withoutBlock) - fastBlocks[1]!.score)).toBeLessThan(1e-5);
  });

  it("L1 scores a head by its kernels' absolute sums; a block sums its heads and feed-forward kernels", () => {
    const heads = l1Criterion.scoreFilters(model, {});
    const [query, key, value, output] = model.getLayer('block1.attention').getWeights();
    const expected = tf.tidy(() =>
      tf
        .addN([query!, key!, value!].map((w) => tf.sum(tf.abs(w), [0, 2])).concat(tf.sum(tf.abs(output!), [1, 2])))
        .dataSync(),
    );
    for (let h = 0; h < 4; h++) expect(heads[h]!.score).toBeCloseTo(expected[h]!, 3);
    const blocks = l1Criterion.scoreBlocks(model, {});
    const kernelL1 = (layer: string) =>
      tf.tidy(() => tf.sum(tf.abs(model.getLayer(layer).getWeights()[0]!)).dataSync()[0]!);
    const block1 =
      heads.slice(0, 4).reduce((a, s) => a + s.score, 0) + kernelL1('block1.ffn1') + kernelL1('block1.ffn2');
    expect(blocks[0]!.score).toBeCloseTo(block1, 2);
  });
});
