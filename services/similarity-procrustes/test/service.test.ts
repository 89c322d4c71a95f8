import { expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CompareRequest, SimilarityServiceClient, type DescribeResponse } from '@prune/contracts';
import { probeServiceProcess, serve } from '@prune/service-kit';
import { ArtifactStore, encodeMatrix } from '@prune/store';
import { procrustesBinding } from '../src/service.js';

it('serves the Procrustes metric over the SimilarityService contract', async () => {
  const store = new ArtifactStore(fs.mkdtempSync(path.join(os.tmpdir(), 'procrustes-')));
  const server = await serve({
    address: '127.0.0.1:0',
    services: [procrustesBinding(store)],
    protoFiles: ['prune/v1/similarity.proto'],
    log: () => {},
  });
  const client = new SimilarityServiceClient(server.address, grpc.credentials.createInsecure());
  try {
    const described = await new Promise<DescribeResponse>((resolve, reject) =>
      client.describe({}, (e, r) => (e ? reject(e) : resolve(r))),
    );
    expect(described.metrics.find((m) => m.name === 'gaussian_shape_metric')).toMatchObject({
      parameters: ['alpha'],
      stochastic: { samplesPerExample: 8, inputNoise: 0.1 },
    });
    expect(described.metrics.map((m) => m.name)).toContain('procrustes');
    expect(described.metrics.map((m) => m.name)).not.toContain('linear_cka'); // another service's family
    const x = store.putFile(encodeMatrix(4, 2, Float32Array.from([1, 0, 0, 1, -1, 0, 0, -1.5])));
    const y = store.putFile(encodeMatrix(4, 2, Float32Array.from([0, 2, -2, 0, 0, -2, 3, 0]))); // x rotated 90 degrees and scaled
    const compare = (metric: string) =>
      new Promise<{ similarity: number }>((resolve, reject) =>
        client.compare(CompareRequest.fromPartial({ metric, x, y }), (e, r) => (e ? reject(e) : resolve(r))),
      );
    expect((await compare('procrustes')).similarity).toBeCloseTo(1, 6);
    // A stochastic metric needs several rows per example, a deterministic one refuses them.
    const send = (request: Partial<CompareRequest>) =>
      new Promise((resolve, reject) =>
        client.compare(CompareRequest.fromPartial({ x, y, ...request }), (e, r) => (e ? reject(e) : resolve(r))),
      );
    await expect(send({ metric: 'gaussian_shape_metric' })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('samples_per_example: gaussian_shape_metric compares stochastic responses'),
    });
    await expect(send({ metric: 'procrustes', samplesPerExample: 2 })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('samples_per_example: procrustes compares one row per example'),
    });
    expect(await send({ metric: 'wasserstein_shape_metric', samplesPerExample: 2 })).toMatchObject({ rows: 4 });
    await expect(compare('linear_cka')).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('metric: "linear_cka" is not offered here; available: procrustes'),
    });
  } finally {
    client.close();
    await server.shutdown();
  }
});

it('runs as its own process', async () => {
  const probe = await probeServiceProcess(
    path.resolve(import.meta.dirname, '../src/main.ts'),
    'prune.v1.SimilarityService',
  );
  expect(probe).toMatchObject({ health: 'SERVING', exitCode: 0 });
});
