// Data-parallel fine-tuning (TrainConfig.dataParallelReplicas): model replicas in worker threads, one shard
// of every batch each, gradients averaged.
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, tf, tfl } from '@prune/compute';
import { loadCifar10Lossless4000, takeFirst } from '@prune/data';
import { buildCifarResNet, CIFAR_RESNET_PREPROCESSING } from '@prune/models';
import { resolveTrainConfig, shardSizes, trainModel } from '@prune/training';
import { trainUntilStopped } from './interrupted.js';

const metadata = { preprocessing: CIFAR_RESNET_PREPROCESSING, source: 'test' };
const data = takeFirst(loadCifar10Lossless4000(), 96);
const config = { epochs: 2, batchSize: 32, learningRate: 0.05, augment: true, seed: 3 };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'prune-replicas-'));

/** The largest absolute difference between the two models' weights. */
function largestDifference(a: tfl.LayersModel, b: tfl.LayersModel): number {
  const [wa, wb] = [a.getWeights(), b.getWeights()];
  return Math.max(...wa.map((w, i) => tf.max(tf.abs(tf.sub(w, wb[i]!))).dataSync()[0]!));
}

/** A small CNN without batch normalization, `copyOf`'s weights when given. */
function smallCnn(copyOf?: tfl.LayersModel): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [32, 32, 3], filters: 8, kernelSize: 3, strides: 2, activation: 'relu' }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  if (copyOf) model.setWeights(copyOf.getWeights());
  return model;
}

describe('data-parallel fine-tuning', () => {
  beforeAll(async () => {
    await initBackend(undefined, () => {});
  });

  it('splits a batch into shards as equal as they can be', () => {
    expect(shardSizes(64, 2)).toEqual([32, 32]);
    expect(shardSizes(10, 3)).toEqual([4, 3, 3]);
    expect(shardSizes(3, 3)).toEqual([1, 1, 1]);
  });

  it('without batch normalization, learns what one replica learns (distilling too)', async () => {
    const single = smallCnn();
    const parallel = smallCnn(single);
    const teacher = smallCnn();
    const distilled = { ...config, steps: 4, distillationWeight: 0.5 };
    const one = await trainModel({ model: single, metadata, data, config: distilled, teacher });
    const three = await trainModel({
      model: parallel,
      metadata,
      data,
      config: { ...distilled, dataParallelReplicas: 3 },
      teacher,
    });
    expect(largestDifference(single, smallCnn())).toBeGreaterThan(1e-3); // it trained
    expect(largestDifference(single, parallel)).toBeLessThan(1e-5);
    expect(three.finalLoss).toBeCloseTo(one.finalLoss, 5);
    expect(three.finalAccuracy).toBe(one.finalAccuracy);
  });

  it('with batch normalization, resumes from a checkpoint to the weights of an uninterrupted run', async () => {
    const two = { ...config, dataParallelReplicas: 2 };
    const uninterrupted = buildCifarResNet({ depth: 8, seed: 1 });
    const counts: number[] = [];
    await trainModel({
      model: uninterrupted,
      metadata,
      data,
      config: two,
      progressEverySteps: 1,
      onProgress: () => counts.push(tf.memory().numTensors),
    });
    expect(new Set(counts.slice(1)).size).toBe(1); // no tensors leak across steps

    const dir = tmp();
    const crashed = buildCifarResNet({ depth: 8, seed: 1 });
    await trainUntilStopped({ model: crashed, metadata, data, config: two, checkpointDir: dir }, 4);
    const restarted = buildCifarResNet({ depth: 8, seed: 99 });
    const result = await trainModel({ model: restarted, metadata, data, config: two, checkpointDir: dir });
    expect(result.resumedFromStep).toBe(3);
    expect(largestDifference(uninterrupted, restarted)).toBe(0);
    // the moving statistics are trained, and are those of shards: not what one replica gets
    const single = buildCifarResNet({ depth: 8, seed: 1 });
    await trainModel({ model: single, metadata, data, config });
    expect(largestDifference(single, uninterrupted)).toBeGreaterThan(1e-4);
    // another number of replicas is another configuration: its checkpoint is not resumed
    await expect(
      trainModel({ model: restarted, metadata, data, config: { ...two, dataParallelReplicas: 3 }, checkpointDir: dir }),
    ).rejects.toMatchObject({ kind: 'failed-precondition' });
  });

  it("a replica that cannot start (its thread lacks the teacher's layer class) fails the fine-tune with its reason", async () => {
    // A layer class this test registers: the replicas' threads do not know it.
    class Doubling extends tfl.layers.Layer {
      static className = 'TestDoubling';
      override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
        return tf.mul(Array.isArray(inputs) ? inputs[0]! : inputs, 2);
      }
    }
    tf.serialization.registerClass(Doubling);
    const teacher = tfl.sequential({
      layers: [new Doubling({ inputShape: [32, 32, 3] }), tfl.layers.flatten(), tfl.layers.dense({ units: 10 })],
    });
    const distilled = { steps: 2, batchSize: 32, distillationWeight: 0.5, dataParallelReplicas: 3 };
    await expect(trainModel({ model: smallCnn(), metadata, data, config: distilled, teacher })).rejects.toThrow(
      /^model replica: .*TestDoubling/,
    );
  });

  it('refuses more replicas than examples in a batch, naming the field', async () => {
    expect(() => resolveTrainConfig({ dataParallelReplicas: 0 })).toThrow(
      'dataParallelReplicas: must be an integer in [1, 16], got 0',
    );
    expect(() => resolveTrainConfig({ batchSize: 4, dataParallelReplicas: 8 })).toThrow(
      'dataParallelReplicas, batchSize: each of 8 replicas needs an example of the batch of 4',
    );
    const model = smallCnn();
    await expect(
      trainModel({
        model,
        metadata,
        data: takeFirst(data, 4),
        config: { steps: 1, batchSize: 32, dataParallelReplicas: 8 },
      }),
    ).rejects.toThrow('dataParallelReplicas: 8 replicas need a batch of at least 8 examples; the data has 4');
  });
});
