// The walk with every operation done in this process on the libraries: one real iteration on the
// pretrained ResNet-20 (KL scores, surgery, fine-tunes, CKA on validation images), and two on a
// Transformer (encoder blocks against attention heads).
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { initBackend, type tfl } from '@prune/compute';
import { klCriterion } from '@prune/criteria';
import {
  classBalancedSample,
  loadCifar10Lossless4000,
  loadFashionMnist,
  selectExamples,
  sharedDir,
  takeFirst,
} from '@prune/data';
import { localWalkPorts } from '@prune/local-ports';
import {
  buildTransformer,
  loadModel,
  modelCost,
  parsePreprocessing,
  preprocessImages,
  requirePreprocessing,
} from '@prune/models';
import { trainModel } from '@prune/training';
import { greedyWalk, type WalkConfig, type WalkEvent } from '@prune/pruning';
import { similarityMetricByName } from '@prune/similarity-metrics';

const WALK: WalkConfig = {
  maxIterations: 1,
  targetMacsReduction: 0,
  accuracyFloor: 0,
  blocksPerIteration: 1,
  filterMatch: 'count',
  policy: 'similarity',
  layerEpsilon: 0,
  seed: 0,
  chanceAccuracy: 0.1,
};

describe('greedy walk on the pretrained ResNet-20, in process', () => {
  // gaussian_shape_metric: a stochastic metric, its representations each example answered 8 times.
  it.each(['linear_cka', 'gaussian_shape_metric'])(
    'runs an iteration: KL scores, matched candidates, %s on validation data, a record of the choice',
    async (metric) => {
      await initBackend(undefined, () => {});
      const { model, metadata } = await loadModel(
        path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'),
      );
      const all = loadCifar10Lossless4000();
      const split = (from: number, count: number) =>
        selectExamples(
          all,
          Array.from({ length: count }, (_, i) => from + i),
        );
      const calibration = classBalancedSample(split(0, 1000), 20, 0);
      const ports = localWalkPorts({
        metadata,
        train: split(0, 64),
        // 60, not a multiple of 8: a stochastic metric given one row per image would be refused.
        validation: split(1000, 60),
        test: split(2000, 64),
        calibration: preprocessImages(calibration.pixels, [20, 32, 32, 3], requirePreprocessing(metadata)),
        criterion: klCriterion,
        metric: similarityMetricByName(metric),
        candidateFineTune: { steps: 1, batchSize: 32, learningRate: 0.001 },
        selectedFineTune: { steps: 2, batchSize: 32, learningRate: 0.001 },
      });
      const config = { ...WALK, maxIterations: 1 };
      const events: WalkEvent<tfl.LayersModel>[] = [];
      for await (const event of greedyWalk(model, config, ports)) events.push(event);
      const done = events.at(-1)!;
      expect(done.type).toBe('done');
      if (done.type !== 'done') return;
      expect(done.stopReason).toBe('reached 1 iterations');
      const [record] = done.iterations;
      expect(record!.layer!.removed).toHaveLength(1);
      // the filter candidate removes as many filters as the removed block had (two convs)
      const planes = record!.layer!.removed[0]!.startsWith('layer1')
        ? 16
        : record!.layer!.removed[0]!.startsWith('layer2')
          ? 32
          : 64;
      expect(record!.filter!.removed).toHaveLength(2 * planes);
      for (const c of [record!.layer!, record!.filter!]) {
        expect(c.similarity).toBeGreaterThan(0);
        expect(c.similarity).toBeLessThanOrEqual(1);
      }
      expect(record!.choice).toBe(record!.filter!.similarity > record!.layer!.similarity ? 'F' : 'L');
      expect(record!.macs).toBeLessThan(modelCost(model).macs);
      expect(record!.validationAccuracy).toBeGreaterThan(0.5);
      expect(events.filter((e) => e.type === 'phase').map((e) => (e as { name: string }).name)).toEqual([
        'score',
        'layer candidate',
        'filter candidate',
        'fine-tune candidates',
        'compare',
        'fine-tune selected',
        'evaluate',
      ]);
    },
  );
});

describe('greedy walk on a Transformer, in process', () => {
  it('chooses between an encoder block and as many attention heads, both exact surgery, on Fashion-MNIST rows', async () => {
    await initBackend(undefined, () => {});
    const model = buildTransformer({
      inputShape: [28, 28, 1],
      numClasses: 10,
      blocks: 3,
      heads: 4,
      headDim: 8,
      modelDim: 32,
      feedForwardDim: 64,
      seed: 4,
    });
    const metadata = { preprocessing: parsePreprocessing('unit', 'preprocessing'), source: 'test' };
    const train = takeFirst(loadFashionMnist('train'), 2000);
    const test = takeFirst(loadFashionMnist('test'), 200);
    // A parent that has learned something (the walk refuses one at chance accuracy).
    await trainModel({
      model,
      metadata,
      data: train,
      config: { steps: 120, batchSize: 64, learningRate: 0.05, augment: false },
    });
    const calibration = classBalancedSample(train, 20, 0);
    const ports = localWalkPorts({
      metadata,
      train,
      validation: selectExamples(
        test,
        Array.from({ length: 100 }, (_, i) => i),
      ),
      test: selectExamples(
        test,
        Array.from({ length: 100 }, (_, i) => 100 + i),
      ),
      calibration: preprocessImages(calibration.pixels, [20, 28, 28, 1], requirePreprocessing(metadata)),
      criterion: klCriterion,
      metric: similarityMetricByName('linear_cka'),
      candidateFineTune: { steps: 2, batchSize: 32, learningRate: 0.001, augment: false },
      selectedFineTune: { steps: 2, batchSize: 32, learningRate: 0.001, augment: false },
    });
    const config = { ...WALK, maxIterations: 2 };
    const events: WalkEvent<tfl.LayersModel>[] = [];
    for await (const event of greedyWalk(model, config, ports)) events.push(event);
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    if (done.type !== 'done') return;
    const start = events.find((e) => e.type === 'start');
    expect(start?.type === 'start' && start.widths).toEqual(
      [1, 2, 3].map((b) => ({ layer: `block${b}.attention`, filters: 4, unit: 'heads' })),
    );
    const [first] = done.iterations;
    expect(first!.layer!.removed).toHaveLength(1);
    expect(first!.layer!.removed[0]).toMatch(/^block\d\.ffn_add$/);
    // as many heads as the removed encoder block had, named <attention layer>:<head>
    expect(first!.filter!.removed).toHaveLength(4);
    for (const id of first!.filter!.removed) expect(id).toMatch(/^block\d\.attention:[0-3]$/);
    expect(first!.choice).toBe(first!.filter!.similarity > first!.layer!.similarity ? 'F' : 'L');
    expect(done.iterations.every((i) => i.macs < modelCost(model).macs)).toBe(true);
  });
});
