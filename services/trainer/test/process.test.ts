import { expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { initBackend } from '@prune/compute';
import { EvaluateRequest, TrainerServiceClient, TrainRequest } from '@prune/contracts';
import { openDatasetSample, sharedDir } from '@prune/data';
import { loadModel, putModelArtifact } from '@prune/models';
import {
  callUnary,
  checkHealth,
  cpuSecondsOf,
  pollHealth,
  probeServiceProcess,
  spawnServiceProcess,
} from '@prune/service-kit';
import { ArtifactStore } from '@prune/store';
import { evaluateModel } from '@prune/training';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

/** A trainer process (one thread) on a new store holding the pretrained ResNet-20, and a client of it. */
async function startTrainer(env: NodeJS.ProcessEnv = {}) {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trainer-process-'));
  await initBackend(undefined, () => {});
  const loaded = await loadModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'));
  const model = await putModelArtifact(new ArtifactStore(storeDir), loaded.model, loaded.metadata);
  loaded.model.dispose();
  const service = await spawnServiceProcess(MAIN, { env: { PRUNE_STORE_DIR: storeDir, PRUNE_THREADS: '1', ...env } });
  const client = new TrainerServiceClient(service.address, grpc.credentials.createInsecure());
  return { storeDir, model, service, client };
}

it('trainer: a real process serves health on its port and exits 0 on SIGTERM', async () => {
  const probe = await probeServiceProcess(MAIN, 'prune.v1.TrainerService');
  expect(probe).toMatchObject({ health: 'SERVING', exitCode: 0 });
  expect(probe.stderr).toContain('SIGTERM: shutting down prune.v1.TrainerService');
});

it('trainer: while it trains, health answers within a second, progress arrives step by step, and a cancel stops the training', async () => {
  const { storeDir, model, service, client } = await startTrainer();
  try {
    const health = pollHealth(service.address, 'prune.v1.TrainerService');
    const arrivals: { step: number; at: number }[] = [];
    const ended = new Promise<grpc.ServiceError>((resolve) => {
      const stream = client.train(
        TrainRequest.fromPartial({
          jobId: 'live-progress',
          model,
          trainData: { uri: 'cifar10-lossless-4000', maxExamples: 512, seed: 1 },
          config: { steps: 1000, batchSize: 32, learningRate: 0.01 },
        }),
      );
      stream.on('data', (event) => {
        if (event.event?.$case !== 'progress') return;
        arrivals.push({ step: event.event.value.step, at: performance.now() });
        if (arrivals.length === 3) stream.cancel();
      });
      stream.on('error', resolve);
    });
    expect((await ended).code).toBe(grpc.status.CANCELLED);
    await sleep(1000); // the step in flight ends
    const before = cpuSecondsOf(service.child.pid!);
    await sleep(1500);
    const idleCpu = cpuSecondsOf(service.child.pid!) - before;
    const answers = await health.stop();

    expect(arrivals.map((a) => a.step)).toEqual([10, 20, 30]);
    expect(arrivals[2]!.at - arrivals[0]!.at).toBeGreaterThan(200); // ten steps apart, not one burst
    expect(answers.length).toBeGreaterThan(10);
    expect(answers.every((a) => a.status === 'SERVING')).toBe(true);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(1000);
    expect(idleCpu).toBeLessThan(0.3); // a training that went on would use ~1.5 s of CPU here
  } finally {
    client.close();
    await service.stop();
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
});

it('trainer: the request that once poisoned it (batch 4294967295) is refused, and the process goes on computing', async () => {
  const { storeDir, model, service, client } = await startTrainer();
  try {
    const trainData = { uri: 'cifar10-lossless-4000', maxExamples: 64, seed: 1 };
    const refused = await new Promise<grpc.ServiceError | undefined>((resolve) => {
      const stream = client.train(
        TrainRequest.fromPartial({ jobId: 'poison', model, trainData, config: { steps: 1, batchSize: 4294967295 } }),
      );
      stream.resume(); // a refused request ends in 'error'; one that ran would end after its events
      stream.on('error', resolve);
      stream.on('end', () => resolve(undefined));
    });
    expect(refused).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('batch_size'),
    });
    expect(await checkHealth(service.address, 'prune.v1.TrainerService')).toBe('SERVING');
    const evaluated = await callUnary(client, client.evaluate, EvaluateRequest.fromPartial({ model, data: trainData }));
    expect(evaluated.examples).toBe(64);
    expect(evaluated.accuracy).toBeGreaterThan(0.5); // the pretrained model, computed as before
  } finally {
    client.close();
    await service.stop();
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
});

it('trainer: a data-parallel fine-tune (2 replicas) trains in threads of its compute worker and stores the result', async () => {
  const { storeDir, model, service, client } = await startTrainer();
  try {
    const events: { $case: string; steps?: number; uri?: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.train(
        TrainRequest.fromPartial({
          jobId: 'data-parallel',
          model,
          trainData: { uri: 'cifar10-lossless-4000', maxExamples: 128, seed: 1 },
          config: { steps: 4, batchSize: 32, learningRate: 0.001, dataParallelReplicas: 2 },
        }),
      );
      stream.on('data', ({ event }) =>
        events.push(
          event.$case === 'result'
            ? { $case: 'result', steps: event.value.steps, uri: event.value.model.uri }
            : { $case: event.$case },
        ),
      );
      stream.on('error', reject);
      stream.on('end', resolve);
    });
    expect(events.at(-1)).toMatchObject({ $case: 'result', steps: 4, uri: expect.stringMatching(/^store:\/\//) });
    const evaluated = await callUnary(
      client,
      client.evaluate,
      EvaluateRequest.fromPartial({
        model: { uri: events.at(-1)!.uri! },
        data: { uri: 'cifar10-lossless-4000', maxExamples: 64, seed: 2 },
      }),
    );
    expect(evaluated.accuracy).toBeGreaterThan(0.5); // a small learning rate keeps the pretrained accuracy
    expect(await checkHealth(service.address, 'prune.v1.TrainerService')).toBe('SERVING');
  } finally {
    client.close();
    await service.stop();
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
});

it('trainer: with PRUNE_EVAL_REPLICAS=2 it evaluates in threads of its compute worker, as one thread does', async () => {
  const { storeDir, model, service, client } = await startTrainer({ PRUNE_EVAL_REPLICAS: '2' });
  try {
    const data = { uri: 'cifar10-lossless-4000', maxExamples: 200, seed: 3 };
    const request = EvaluateRequest.fromPartial({ model, data, batchSize: 50 });
    const spread = await callUnary(client, client.evaluate, request);
    const loaded = await loadModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'));
    const here = await evaluateModel(loaded.model, loaded.metadata, await openDatasetSample(data.uri, 200, 3), 50);
    loaded.model.dispose();
    expect(service.stderr()).toContain('[prune] evaluation: 2 model replicas in threads (PRUNE_EVAL_REPLICAS)');
    expect(spread.examples).toBe(200);
    expect(spread.accuracy).toBe(here.accuracy);
    expect(spread.loss).toBeCloseTo(here.loss, 5);
  } finally {
    await service.stop();
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
});

it('trainer: a PRUNE_EVAL_REPLICAS that is not 1 to 16 stops it at start, saying what is valid', async () => {
  await expect(spawnServiceProcess(MAIN, { env: { PRUNE_EVAL_REPLICAS: 'two' } })).rejects.toThrow(
    'PRUNE_EVAL_REPLICAS="two": must be a whole number from 1 to 16',
  );
});
