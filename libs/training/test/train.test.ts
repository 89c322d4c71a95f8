import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { initBackend, tf, tfl } from '@prune/compute';
import { loadCifar10Lossless4000, loadCsvDataset, loadFashionMnist, sharedDir, takeFirst } from '@prune/data';
import {
  buildCifarResNet,
  buildTransformer,
  CIFAR_RESNET_PREPROCESSING,
  loadModel,
  parsePreprocessing,
  preprocessImages,
  requirePreprocessing,
} from '@prune/models';
import {
  evaluateModel,
  extractRepresentations,
  learningRateAt,
  MAX_EVALUATION_BATCH,
  resolveTrainConfig,
  trainModel,
  type TrainProgress,
} from '@prune/training';
import { trainUntilStopped } from './interrupted.js';
import { InvalidArgumentError } from '@prune/errors';
import { EvaluationReplicas } from '../src/evaluation-replicas.js';

const metadata = { preprocessing: CIFAR_RESNET_PREPROCESSING, source: 'test' };
const data = takeFirst(loadCifar10Lossless4000(), 96);
const config = {
  epochs: 2,
  batchSize: 32,
  learningRate: 0.05,
  weightDecay: 5e-4,
  schedule: 'cosine' as const,
  augment: true,
  seed: 3,
};
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'prune-train-'));

describe('fine-tuning', () => {
  beforeAll(async () => {
    await initBackend(undefined, () => {});
  });

  it('a job restarted with the same id resumes from its checkpoint and ends with the same weights', async () => {
    const uninterrupted = buildCifarResNet({ depth: 8, seed: 1 });
    await trainModel({ model: uninterrupted, metadata, data, config, checkpointDir: tmp() });

    const dir = tmp();
    const crashed = buildCifarResNet({ depth: 8, seed: 1 });
    await trainUntilStopped({ model: crashed, metadata, data, config, checkpointDir: dir }, 4);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8')).step).toBe(3); // the epoch-end checkpoint

    const restarted = buildCifarResNet({ depth: 8, seed: 99 }); // a new process starts from other weights
    const result = await trainModel({ model: restarted, metadata, data, config, checkpointDir: dir });
    expect(result.resumedFromStep).toBe(3);
    expect(result.steps).toBe(6);
    // on native TensorFlow the last steps of both ran as graphs, the restarted job's after three
    // rehearsals (one plain step, two traced, each undone)
    if (tf.getBackend() === 'tensorflow') expect(result.stepExecution).toBe('graph');
    const a = uninterrupted.getWeights();
    const b = restarted.getWeights();
    for (let i = 0; i < a.length; i++)
      expect(tf.max(tf.abs(tf.sub(a[i]!, b[i]!))).dataSync()[0], uninterrupted.weights[i]!.name).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(['latest.json', 'step-6']); // older checkpoints are removed
    // the seconds the job's steps computed, the 3 checkpointed before the crash included
    const state = (step: number) => JSON.parse(fs.readFileSync(path.join(dir, `step-${step}`, 'state.json'), 'utf8'));
    expect(result.computeSeconds).toBeGreaterThan(0);
    expect(result.computeSeconds).toBeCloseTo(state(6).computeSeconds, 9);
    // a checkpoint from before compute seconds were kept resumes, the seconds then unknown
    const old = state(6);
    delete old.computeSeconds;
    fs.writeFileSync(path.join(dir, 'step-6', 'state.json'), JSON.stringify(old));
    const again = await trainModel({ model: restarted, metadata, data, config, checkpointDir: dir });
    expect(again.resumedFromStep).toBe(6);
    expect(again.computeSeconds).toBeNaN();
    // distillation off is the same configuration as before it existed: that checkpoint resumes too
    const same = { ...config, distillationWeight: 0, distillationTemperature: 7 };
    expect(
      (await trainModel({ model: restarted, metadata, data, config: same, checkpointDir: dir })).resumedFromStep,
    ).toBe(6);

    await expect(
      trainModel({ model: restarted, metadata, data, config: { ...config, learningRate: 0.1 }, checkpointDir: dir }),
    ).rejects.toMatchObject({ kind: 'failed-precondition' });
  });

  it('distils only with a teacher of the same input and classes', async () => {
    const model = buildCifarResNet({ depth: 8, seed: 1 });
    const distilled = { ...config, epochs: 0, steps: 1, distillationWeight: 0.5 };
    await expect(trainModel({ model, metadata, data, config: distilled })).rejects.toThrow(
      'distillationWeight: distilling needs a teacher model',
    );
    const other = buildCifarResNet({ depth: 8, seed: 1, numClasses: 100 });
    await expect(trainModel({ model, metadata, data, config: distilled, teacher: other })).rejects.toThrow(
      /^teacher: takes and gives \[\[32,32,3\],\[100\]\]/,
    );
    const teacher = buildCifarResNet({ depth: 8, seed: 2 });
    expect((await trainModel({ model, metadata, data, config: distilled, teacher })).steps).toBe(1);
    for (const m of [model, other, teacher]) m.dispose();
  });

  it('does not leak tensors across steps, reports progress and lowers the loss', async () => {
    const model = buildCifarResNet({ depth: 8, seed: 2 });
    const counts: number[] = [];
    const progress: TrainProgress[] = [];
    const result = await trainModel({
      model,
      metadata,
      data,
      config: { epochs: 4, batchSize: 32, learningRate: 0.05, schedule: 'constant', augment: false },
      progressEverySteps: 1,
      onProgress: (p) => {
        progress.push(p);
        counts.push(tf.memory().numTensors);
      },
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(progress.map((p) => p.step)).toEqual([...Array(12).keys()].map((i) => i + 1));
    expect(progress[0]).toMatchObject({ epoch: 1, totalSteps: 12, learningRate: 0.05 });
    expect(progress.at(-1)!.epoch).toBe(4);
    expect(progress.every((p) => p.imagesPerSecond > 0 && Number.isFinite(p.loss) && p.etaSeconds >= 0)).toBe(true);
    expect(progress.at(-1)!.etaSeconds).toBe(0);
    expect(result.finalLoss).toBeLessThan(progress[0]!.loss);
  });

  it('a fine-tune that diverges fails with a clear error instead of returning NaN weights', async () => {
    const model = buildCifarResNet({ depth: 8, seed: 2 });
    // Activations that overflow float32: the loss is not finite from the first step.
    const conv = model.layers.find((l) => l.getClassName() === 'Conv2D')!;
    conv.setWeights(conv.getWeights().map((w) => tf.fill(w.shape, 3e38)));
    await expect(trainModel({ model, metadata, data, config: { steps: 3, batchSize: 32 } })).rejects.toMatchObject({
      kind: 'failed-precondition',
      message: expect.stringMatching(/^training diverged: .*lower the learning rate$/),
    });
  });

  it('schedules: step decay at milestones, cosine to zero', () => {
    const step = resolveTrainConfig({
      learningRate: 0.1,
      schedule: 'step',
      stepMilestones: [0.5, 0.75],
      stepGamma: 0.1,
    });
    expect([0, 49, 50, 74, 75, 99].map((s) => Number(learningRateAt(step, s, 100).toPrecision(6)))).toEqual([
      0.1, 0.1, 0.01, 0.01, 0.001, 0.001,
    ]);
    const cosine = resolveTrainConfig({ learningRate: 0.1, schedule: 'cosine' });
    expect(learningRateAt(cosine, 0, 100)).toBeCloseTo(0.1);
    expect(learningRateAt(cosine, 50, 100)).toBeCloseTo(0.05);
  });
});

describe('evaluation and representations', () => {
  it('evaluates the pretrained ResNet-20 and extracts its 64-d penultimate representation', async () => {
    await initBackend(undefined, () => {});
    const { model, metadata: meta } = await loadModel(
      path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'),
    );
    const sample = takeFirst(loadCifar10Lossless4000(), 500);
    const result = await evaluateModel(model, meta, sample);
    expect(result.examples).toBe(500);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.99);
    expect(result.loss).toBeGreaterThan(0);
    expect(result.loss).toBeLessThan(0.2);
    const reps = await extractRepresentations(model, meta, takeFirst(sample, 50));
    expect([reps.rows, reps.columns, reps.layer]).toEqual([50, 64, 'avgpool']);
    expect(reps.data.every((v) => v >= 0)).toBe(true); // after ReLU and average pooling
    await expect(extractRepresentations(model, meta, sample, 'nope')).rejects.toThrow(
      'layer: "nope" is not a layer of the model',
    );
    // The batch size only sets the examples per forward pass, not the result.
    const inSevens = await evaluateModel(model, meta, sample, 7);
    expect(inSevens.accuracy).toBe(result.accuracy);
    expect(inSevens.loss).toBeCloseTo(result.loss, 5);
    for (const batch of [-1, 2.5, MAX_EVALUATION_BATCH + 1])
      await expect(evaluateModel(model, meta, sample, batch)).rejects.toThrow(
        `batch_size: must be a whole number from 1 to ${MAX_EVALUATION_BATCH} (examples per forward pass), got ${batch}`,
      );
  });
});

describe('data-parallel evaluation (PRUNE_EVAL_REPLICAS)', () => {
  const withReplicas = async <T>(value: string | undefined, run: () => Promise<T>): Promise<T> => {
    const before = process.env['PRUNE_EVAL_REPLICAS'];
    if (value === undefined) delete process.env['PRUNE_EVAL_REPLICAS'];
    else process.env['PRUNE_EVAL_REPLICAS'] = value;
    try {
      return await run();
    } finally {
      if (before === undefined) delete process.env['PRUNE_EVAL_REPLICAS'];
      else process.env['PRUNE_EVAL_REPLICAS'] = before;
    }
  };

  it('spreads the batches over replicas in threads and answers what the calling thread does', async () => {
    await initBackend(undefined, () => {});
    const { model, metadata: meta } = await loadModel(
      path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'),
    );
    const sample = takeFirst(loadCifar10Lossless4000(), 90);
    const stochastic = { samplesPerExample: 3, inputNoise: 0.1 };
    // 90 examples in passes of 20: five batches, the last short, over two or three replicas.
    const compute = () =>
      Promise.all([
        evaluateModel(model, meta, sample, 20),
        extractRepresentations(model, meta, sample, undefined, 20),
        extractRepresentations(model, meta, sample, undefined, 60, stochastic),
      ]);
    const here = await withReplicas(undefined, compute);
    const spread = vi.spyOn(EvaluationReplicas.prototype, 'run');
    for (const replicas of ['2', '3']) {
      const [evaluation, plain, noisy] = await withReplicas(replicas, compute);
      expect(evaluation.accuracy, replicas).toBe(here[0].accuracy);
      expect(evaluation.loss, replicas).toBeCloseTo(here[0].loss, 5);
      for (const [got, expected] of [
        [plain, here[1]],
        [noisy, here[2]],
      ] as const) {
        expect([got.rows, got.columns]).toEqual([expected.rows, expected.columns]);
        const worst = got.data.reduce((m, v, i) => Math.max(m, Math.abs(v - expected.data[i]!)), 0);
        expect(worst, replicas).toBeLessThan(1e-4);
      }
    }
    expect(spread).toHaveBeenCalledTimes(6); // the replicas computed, not this thread
    spread.mockRestore();
    // Replicas replaced while a call is on them (here: another count asked for) finish that call,
    // then end: the idle three at once, the busy two when done.
    const ended = vi.spyOn(Worker.prototype, 'terminate');
    const [onTwo, onThree] = await withReplicas('2', async () => {
      const first = evaluateModel(model, meta, sample, 20);
      process.env['PRUNE_EVAL_REPLICAS'] = '3';
      return Promise.all([first, evaluateModel(model, meta, sample, 20)]);
    });
    expect([onTwo.accuracy, onThree.accuracy]).toEqual([here[0].accuracy, here[0].accuracy]);
    expect(ended).toHaveBeenCalledTimes(5);
    ended.mockRestore();
    // A replica's domain error reaches the caller as that error (a trainer answers INVALID_ARGUMENT).
    const features = { ...sample, pixels: Float32Array.from(sample.pixels) };
    const refused = withReplicas('2', () => evaluateModel(model, meta, features, 20));
    await expect(refused).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(refused).rejects.toThrow(/float features/);
    await withReplicas('17', () =>
      expect(evaluateModel(model, meta, sample, 20)).rejects.toThrow(
        'PRUNE_EVAL_REPLICAS="17": must be a whole number from 1 to 16',
      ),
    );
    model.dispose();
  });

  it('lets a process that evaluated end on its own, and not before the evaluation answered', () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const script = fileURLToPath(new URL('./evaluate-then-exit.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', tsx, '--conditions=@prune/source', script], {
      encoding: 'utf8',
      env: { ...process.env, PRUNE_EVAL_REPLICAS: '2' },
      timeout: 60_000,
    });
    expect(run.signal, 'still running after 60 s').toBeNull();
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ examples: 40 });
  });
});

describe('representations at a named layer', () => {
  it('are what the model as trained computes there, also inside a folded convolution, batch norm and ReLU', async () => {
    await initBackend(undefined, () => {});
    const { model, metadata: meta } = await loadModel(
      path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'),
    );
    const sample = takeFirst(loadCifar10Lossless4000(), 20);
    const x = preprocessImages(sample.pixels, [20, 32, 32, 3], requirePreprocessing(meta));
    // A residual block's first convolution, and the batch norm and ReLU evaluation folds into it.
    const next = (layer: tfl.layers.Layer) => layer.outboundNodes[0]!.outboundLayer!;
    const conv = model.layers
      .filter((l) => l.getClassName() === 'Conv2D')
      .find((l, i) => i > 0 && next(next(l)).getClassName() === 'Activation')!;
    const [bn, relu] = [next(conv), next(next(conv))];
    expect(bn.getClassName()).toBe('BatchNormalization');
    for (const layer of [conv, bn, relu]) {
      const reps = await extractRepresentations(model, meta, sample, layer.name);
      const expected = tf.tidy(() => {
        const sub = tfl.model({ inputs: model.inputs, outputs: layer.output as tfl.SymbolicTensor });
        return (sub.predict(x) as tf.Tensor).dataSync() as Float32Array;
      });
      expect(reps.columns * reps.rows).toBe(expected.length);
      const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      const worst = reps.data.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i]!)), 0);
      expect(worst, layer.name).toBeLessThan(1e-4 * scale);
    }
    x.dispose();
    model.dispose();
  });
});

describe('pixel-mean preprocessing (the Keras models of Pons et al.)', () => {
  it('computes the per-pixel training mean and then classifies the JPEG test images', async () => {
    await initBackend(undefined, () => {});
    const { resolvePreprocessing } = await import('@prune/training');
    const { classBalancedSample, openDataset } = await import('@prune/data');
    const { model, metadata: meta } = await loadModel(
      path.join(sharedDir(), 'models/keras-resnet56-pons/resnet56-pons-iter9.json'),
      { preprocessing: parsePreprocessing('pixel-mean') },
    );
    const preprocessing = await resolvePreprocessing(meta);
    expect(preprocessing.kind === 'pixel-mean' && preprocessing.mean!.length).toBe(3072);
    const test = classBalancedSample(await openDataset('cifar10-jpeg:test'), 500, 0);
    const accuracy = (await evaluateModel(model, { ...meta, preprocessing }, test)).accuracy;
    expect(accuracy).toBeGreaterThan(0.6);
  });
});

describe('a Transformer on a CSV of windowed data', () => {
  it('trains on the standardized float features and beats chance on the held-out test split', async () => {
    await initBackend(undefined, () => {});
    const dir = tmp();
    const file = path.join(dir, 'windows.csv');
    const images = takeFirst(loadFashionMnist('train'), 600);
    const rows = Array.from({ length: images.count }, (_, r) =>
      [...images.pixels.subarray(r * 784, (r + 1) * 784), images.labels[r]].join(','),
    );
    const header = [...Array.from({ length: 784 }, (_, i) => `v${i}`), 'label'];
    fs.writeFileSync(file, [header.join(','), ...rows].join('\n'));
    const { train, test } = loadCsvDataset(file, { steps: 28 });
    const model = buildTransformer({
      inputShape: [28, 28, 1],
      numClasses: train.classNames.length,
      blocks: 1,
      heads: 2,
      headDim: 8,
      modelDim: 16,
      feedForwardDim: 32,
      seed: 2,
    });
    // The loader standardized the features: the model's own preprocessing is the identity.
    const raw = { preprocessing: parsePreprocessing('raw', 'preprocessing'), source: 'test' };
    await trainModel({
      model,
      metadata: raw,
      data: train,
      config: { epochs: 8, batchSize: 32, learningRate: 0.05, augment: false, seed: 1 },
    });
    expect((await evaluateModel(model, raw, test)).accuracy).toBeGreaterThan(0.4); // chance is 0.1
    // Pixel preprocessing or image augmentation on features is a clear error, not a silent mistake.
    const unit = { preprocessing: parsePreprocessing('unit', 'preprocessing'), source: 'test' };
    await expect(evaluateModel(model, unit, test)).rejects.toThrow(
      /float features .* declare the identity, --preprocessing raw/,
    );
    await expect(
      trainModel({ model, metadata: raw, data: train, config: { steps: 1, augment: true } }),
    ).rejects.toThrow('augment: crops and flips are image augmentation and do not apply to float features');
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
