// The trainer over real gRPC on loopback: train with a progress stream, evaluate, extract.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { initBackend } from '@prune/compute';
import {
  AssessRequest,
  Corruption,
  CORRUPTION_NAMES,
  EvaluateRequest,
  ExtractRepresentationsRequest,
  LrSchedule,
  TrainerServiceClient,
  TrainRequest,
  type TrainResponse,
} from '@prune/contracts';
import { sharedDir } from '@prune/data';
import { loadModel, putModelArtifact } from '@prune/models';
import { callUnary, serve, type RunningServer } from '@prune/service-kit';
import { ArtifactStore, decodeMatrix, type ArtifactRef } from '@prune/store';
import { DEFAULT_TRAIN_CONFIG } from '@prune/training';
import { trainerBinding } from '../src/service.js';

describe('TrainerService', () => {
  let server: RunningServer;
  let client: InstanceType<typeof TrainerServiceClient>;
  let store: ArtifactStore;
  let model: ArtifactRef;

  beforeAll(async () => {
    await initBackend(undefined, () => {});
    store = new ArtifactStore(fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-store-')));
    const loaded = await loadModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'));
    model = await putModelArtifact(store, loaded.model, loaded.metadata);
    server = await serve({
      address: '127.0.0.1:0',
      services: [trainerBinding(store)],
      protoFiles: ['prune/v1/trainer.proto'],
      log: () => {},
    });
    client = new TrainerServiceClient(server.address, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown();
  });

  const train = (request: object) =>
    new Promise<TrainResponse[]>((resolve, reject) => {
      const events: TrainResponse[] = [];
      const stream = client.train(TrainRequest.fromPartial(request as never), { deadline: Date.now() + 120_000 });
      stream.on('data', (e: TrainResponse) => events.push(e));
      stream.on('error', reject);
      stream.on('end', () => resolve(events));
    });
  // Requests are written partially; fromPartial fills proto3 defaults.
  const evaluate = (request: object) =>
    callUnary(client, client.evaluate, EvaluateRequest.fromPartial(request as never));
  const extract = (request: object) =>
    callUnary(client, client.extractRepresentations, ExtractRepresentationsRequest.fromPartial(request as never));
  const assess = (request: object) => callUnary(client, client.assess, AssessRequest.fromPartial(request as never));

  it('fine-tunes a stored model, streaming progress, and stores the result', async () => {
    const events = await train({
      jobId: 'test-job-1',
      model,
      trainData: { uri: 'cifar10-lossless-4000', maxExamples: 64, seed: 1 },
      config: {
        epochs: 0,
        steps: 4,
        batchSize: 16,
        learningRate: 0.001,
        momentum: 0.9,
        nesterov: true,
        weightDecay: 5e-4,
        schedule: LrSchedule.LR_SCHEDULE_COSINE,
        stepMilestones: [],
        stepGamma: 0,
        augment: true,
        seed: 0,
      },
    });
    const progress = events.filter((e) => e.event?.$case === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    const result = events.at(-1)!.event;
    expect(result?.$case).toBe('result');
    if (result?.$case !== 'result') return;
    expect(result.value.steps).toBe(4);
    expect(result.value.model!.uri).toMatch(/^store:\/\/dirs\/[0-9a-f]{64}$/);
    expect(result.value.model!.uri).not.toBe(model.uri);

    const evaluation = await evaluate({
      model: result.value.model,
      data: { uri: 'cifar10-lossless-4000', maxExamples: 200, seed: 2 },
      batchSize: 100,
    });
    expect(evaluation.examples).toBe(200);
    expect(evaluation.accuracy).toBeGreaterThan(0.9);
    await expect(evaluate({ model, data: { uri: 'cifar10-lossless-4000' }, batchSize: 5000 })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('batch_size: must be a whole number from 1 to 1024'),
    });

    const reps = await extract({
      model,
      data: { uri: 'cifar10-lossless-4000', maxExamples: 40, seed: 0 },
      layer: '',
      batchSize: 0,
    });
    expect([reps.rows, reps.columns, reps.layer]).toEqual([40, 64, 'avgpool']);
    expect(decodeMatrix(store.readFile(reps.representation!))).toMatchObject({ rows: 40, columns: 64 });
  });

  it('answers each example several times under seeded input noise for a stochastic metric', async () => {
    const data = { uri: 'cifar10-lossless-4000', maxExamples: 12, seed: 0 };
    const stochastic = { samplesPerExample: 4, inputNoise: 0.1 };
    const matrixOf = async (request: object) => {
      const reps = await extract({ model, data, batchSize: 20, ...request });
      return decodeMatrix(store.readFile(reps.representation!));
    };
    const plain = await matrixOf({});
    const noisy = await matrixOf({ stochastic });
    expect([noisy.rows, noisy.columns]).toEqual([48, 64]);
    // The same noise every time (two models' responses are comparable), different per sample,
    // and each example's samples around its noiseless response, closer to it than to another's.
    expect((await matrixOf({ stochastic })).data).toEqual(noisy.data);
    const rebatched = await matrixOf({ stochastic, batchSize: 8 });
    expect(Math.max(...rebatched.data.map((v, i) => Math.abs(v - noisy.data[i]!)))).toBeLessThan(1e-3);
    const row = (m: typeof plain, r: number) => Array.from(m.data.subarray(r * 64, (r + 1) * 64));
    const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, i) => v - b[i]!));
    expect(distance(row(noisy, 0), row(noisy, 1))).toBeGreaterThan(0);
    for (let example = 0; example < 12; example++)
      for (let s = 0; s < 4; s++) {
        const sample = row(noisy, example * 4 + s);
        expect(distance(sample, row(plain, example))).toBeLessThan(distance(sample, row(plain, (example + 1) % 12)));
      }
    await expect(extract({ model, data, stochastic: { samplesPerExample: 1, inputNoise: 0.1 } })).rejects.toMatchObject(
      {
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining('stochastic.samples_per_example: must be'),
      },
    );
  });

  it('trains a request that sets only its length with the defaults every fine-tune shares (a cosine schedule)', async () => {
    const events = await train({
      jobId: 'test-defaults',
      model,
      trainData: { uri: 'cifar10-lossless-4000', maxExamples: 32, seed: 1 },
      config: { steps: 2 },
    });
    const last = events.filter((e) => e.event?.$case === 'progress').at(-1)!.event;
    // step 2 of 2 trains at half of the cosine schedule (a step schedule would be at a tenth)
    expect(last?.$case === 'progress' && last.value).toMatchObject({
      step: 2,
      totalSteps: 2,
      learningRate: 0.5 * DEFAULT_TRAIN_CONFIG.learningRate,
    });
  });

  it("a job id reused with another starting model starts fresh, never returning the other job's weights", async () => {
    const job = (start: typeof model) =>
      train({
        jobId: 'reused',
        model: start,
        trainData: { uri: 'cifar10-lossless-4000', maxExamples: 32 },
        config: { steps: 2, batchSize: 16 },
      });
    const resultOf = (events: TrainResponse[]) => {
      const last = events.at(-1)!.event;
      return last?.$case === 'result' ? last.value.model! : undefined;
    };
    const first = resultOf(await job(model))!;
    expect(resultOf(await job(model))).toEqual(first); // the same job again: resumed, same answer
    const fromOther = resultOf(await job(first))!;
    expect(fromOther.uri).not.toBe(first.uri);
  });

  it("assesses a stored model: clean accuracy as Evaluate's, attacks, corruptions by name, energy assumptions", async () => {
    const data = { uri: 'cifar10-jpeg:test', maxExamples: 40, seed: 3 };
    const { assessment } = await assess({
      model,
      data,
      config: {
        epsilonLevels: [0, 8],
        pgdSteps: 2,
        corruptions: [Corruption.CORRUPTION_CONTRAST],
        severities: [5],
        latency: false,
      },
    });
    const clean = (await evaluate({ model, data })).accuracy;
    expect(assessment!.examples).toBe(40);
    expect(assessment!.clean).toBeCloseTo(clean, 6);
    const fgsm = assessment!.adversarial.filter((a) => a.attack === 'fgsm');
    expect(fgsm.map((a) => a.epsilon)).toEqual([0, 8 / 255]);
    expect(fgsm[0]!.accuracy).toBeCloseTo(clean, 6); // epsilon 0 changes nothing
    expect(fgsm[1]!.accuracy).toBeLessThan(clean);
    expect(assessment!.corruptions).toEqual([
      { corruption: Corruption.CORRUPTION_CONTRAST, severity: 5, accuracy: expect.any(Number) },
    ]);
    expect(CORRUPTION_NAMES.name(assessment!.corruptions[0]!.corruption)).toBe('contrast');
    expect(assessment!.latency).toEqual([]);
    expect(assessment!.training).toMatchObject({ watts: expect.any(Number), pue: expect.any(Number) });
    expect(assessment!.training!.watts).toBeGreaterThan(0);
  });

  it('refuses an assessment configuration it cannot run, naming the field', async () => {
    const data = { uri: 'cifar10-jpeg:test', maxExamples: 8 };
    await expect(assess({ model, data, config: { severities: [6] } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'config.severities: must be 1..5, got 6',
    });
    await expect(assess({ model, data, config: { epsilonLevels: [300] } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'config.epsilon_levels: must be pixel levels in 0..255, got 300',
    });
    await expect(assess({ model, data, config: { corruptions: [99] } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('config.corruptions: 99 is not a corruption; valid: gaussian_noise,'),
    });
  });

  it('answers bad requests with a status code and the field', async () => {
    await expect(
      train({
        jobId: 'bad-lr',
        model,
        trainData: { uri: 'cifar10-lossless-4000', maxExamples: 32, seed: 0 },
        config: { steps: 2, learningRate: -1 },
      }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'config.learning_rate: must be a positive number up to 10, got -1',
    });
    await expect(
      train({
        jobId: 'kd',
        model,
        trainData: { uri: 'cifar10-lossless-4000' },
        config: { steps: 1, distillationWeight: 0.5 },
      }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'teacher: a teacher model is required when config.distillation_weight > 0',
    });
    await expect(
      train({
        jobId: 'kd',
        model,
        trainData: { uri: 'cifar10-lossless-4000' },
        config: { steps: 1, distillationWeight: 2 },
      }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'config.distillation_weight: must be in [0, 1], got 2',
    });
    await expect(
      train({ jobId: '..', model, trainData: { uri: 'cifar10-lossless-4000' }, config: { steps: 1 } }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('job_id:') });
    await expect(
      train({
        jobId: '../etc',
        model,
        trainData: { uri: 'cifar10-lossless-4000', maxExamples: 0, seed: 0 },
        config: undefined,
      }),
    ).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('job_id:'),
    });
    await expect(
      evaluate({ model: { uri: `store://dirs/${'0'.repeat(64)}`, sha256: '' }, data: { uri: 'cifar10-jpeg:test' } }),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(evaluate({ model, data: { uri: 'imagenet:test' } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('dataset "imagenet:test" is unknown'),
    });
    await expect(
      extract({ model, data: { uri: 'cifar10-lossless-4000', maxExamples: 8 }, layer: 'nope' }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });
});
