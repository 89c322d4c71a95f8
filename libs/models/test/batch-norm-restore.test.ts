// A model whose batch norms an exporter folded gets them back, computing the same function.
import { beforeAll, expect, it } from 'vitest';
import * as path from 'node:path';
import { initBackend, tf } from '@prune/compute';
import {
  CIFAR_RESNET_PREPROCESSING,
  findFilterGroups,
  findResidualBlocks,
  hasFoldedBatchNorm,
  LayerGraph,
  loadModel,
  modelCost,
  restoreBatchNorm,
} from '../src/index.js';
import { maxAbsDiff, realImages } from './helpers.js';

beforeAll(() => initBackend(undefined, () => {}));

it('puts batch norms back into a PyTorch-exported ResNet: same outputs, same structures and MACs', async () => {
  const { model } = await loadModel(path.resolve(import.meta.dirname, 'fixtures/resnet20-cifar.onnx'));
  expect(hasFoldedBatchNorm(model)).toBe(true);
  const { x } = realImages(256, CIFAR_RESNET_PREPROCESSING);
  const restored = await restoreBatchNorm(model, x);
  expect(hasFoldedBatchNorm(restored)).toBe(false);
  expect(restored.layers.filter((l) => l.getClassName() === 'BatchNormalization')).toHaveLength(19);
  expect(maxAbsDiff(model.predict(x) as tf.Tensor, restored.predict(x) as tf.Tensor)).toBeLessThan(1e-3);
  // In training mode the batch's statistics stand in for the moving ones: nearly the same function.
  const batch = tf.slice(x, 0, 128);
  const training = tf.tidy(() => restored.apply(batch, { training: true }) as tf.Tensor);
  const agree = tf.tidy(
    () => tf.mean(tf.equal(tf.argMax(training, 1), tf.argMax(model.predict(batch) as tf.Tensor, 1))).dataSync()[0]!,
  );
  expect(agree).toBeGreaterThan(0.9);
  const graph = LayerGraph.of(restored);
  expect(findResidualBlocks(graph)).toHaveLength(findResidualBlocks(LayerGraph.of(model)).length);
  expect(findFilterGroups(graph).map((g) => g.channels)).toEqual(
    findFilterGroups(LayerGraph.of(model)).map((g) => g.channels),
  );
  expect(modelCost(restored).macs).toBe(modelCost(model).macs);
});
