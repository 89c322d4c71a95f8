// A service computing in a worker thread, over real gRPC on loopback: events relayed as they
// happen, cancel reaching the handler, statuses kept, and a dead or broken worker replaced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import {
  EvaluateRequest,
  ExtractRepresentationsRequest,
  TrainerServiceClient,
  TrainerServiceService,
  TrainRequest,
  type EvaluateResponse,
} from '@prune/contracts';
import { callUnary, checkHealth, serveComputeService, type RunningServer } from '../src/index.js';

describe('a service computing in a worker thread', () => {
  let server: RunningServer;
  let client: InstanceType<typeof TrainerServiceClient>;
  const logs: string[] = [];

  beforeAll(async () => {
    server = await serveComputeService({
      address: '127.0.0.1:0',
      definition: TrainerServiceService,
      worker: new URL('./fake-trainer-worker.js', import.meta.url),
      protoFiles: ['prune/v1/trainer.proto'],
      log: (line) => logs.push(line),
      cancelGraceMs: 1000,
    });
    client = new TrainerServiceClient(server.address, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown();
  });

  const evaluate = (batchSize: number): Promise<EvaluateResponse> =>
    callUnary(client, client.evaluate, EvaluateRequest.fromPartial({ batchSize }));
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'ok',
      (error: grpc.ServiceError) => `${grpc.status[error.code]}: ${error.details}`,
    );
  const untilServing = async () => {
    const deadline = Date.now() + 20_000;
    while ((await checkHealth(server.address, 'prune.v1.TrainerService')) !== 'SERVING') {
      if (Date.now() > deadline) throw new Error('the worker was not replaced within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  it('relays progress as it happens and a client cancel to the handler', async () => {
    const arrivals: number[] = [];
    await new Promise<void>((resolve) => {
      const stream = client.train(TrainRequest.fromPartial({ config: { steps: 1000 } }));
      stream.on('data', () => {
        arrivals.push(performance.now());
        if (arrivals.length === 5) stream.cancel();
      });
      stream.on('error', () => resolve());
    });
    // Five events 20 ms apart, not one burst at the end.
    expect(arrivals[4]! - arrivals[0]!).toBeGreaterThan(50);
    await expect.poll(async () => (await evaluate(0)).examples).toBe(1);
  });

  it("shares the process's environment (native libraries read their settings with getenv)", () => {
    expect(process.env['PRUNE_TEST_WORKER_ENV']).toBe('set in the worker');
  });

  it('keeps the status the handler chose', async () => {
    const call = callUnary(client, client.extractRepresentations, ExtractRepresentationsRequest.fromPartial({}));
    expect(await codeOf(call)).toBe('INVALID_ARGUMENT: data.uri: a dataset URI is required');
  });

  it('replaces a worker that died: its call fails UNAVAILABLE, health is NOT_SERVING until the new one is ready', async () => {
    expect(await codeOf(evaluate(1))).toMatch(/^UNAVAILABLE: .*the compute worker stopped .*; retry/);
    expect(await checkHealth(server.address, 'prune.v1.TrainerService')).toBe('NOT_SERVING');
    expect(await codeOf(evaluate(0))).toMatch(/^UNAVAILABLE: .*restarting; retry/);
    await untilServing();
    expect(await checkHealth(server.address)).toBe('SERVING');
    expect((await evaluate(0)).examples).toBe(0); // a new worker: it has seen no cancelled stream
  });

  it('replaces a worker still computing a call a second after its client cancelled it', async () => {
    const call = new Promise<string>((resolve) =>
      client.evaluate(
        EvaluateRequest.fromPartial({ batchSize: 3 }),
        new grpc.Metadata(),
        { deadline: Date.now() + 500 },
        (error) => resolve(String(error?.code)),
      ),
    );
    expect(await call).toBe(String(grpc.status.DEADLINE_EXCEEDED)); // the client gave up: the server's call is cancelled
    expect(await checkHealth(server.address, 'prune.v1.TrainerService')).toBe('SERVING'); // within the grace period
    await expect.poll(() => logs.join('\n'), { timeout: 5000 }).toContain('a cancelled evaluate is still computing');
    expect(await checkHealth(server.address, 'prune.v1.TrainerService')).toBe('NOT_SERVING'); // until replaced
    await untilServing();
    expect(await codeOf(evaluate(0))).toBe('ok');
  });

  it('replaces a worker whose backend fails its self-check after an INTERNAL error', async () => {
    expect(await codeOf(evaluate(2))).toBe('INTERNAL: memory access out of bounds');
    await expect.poll(() => logs.join('\n')).toContain('compute worker unhealthy');
    await untilServing();
    expect(await codeOf(evaluate(0))).toBe('ok');
  });
});
