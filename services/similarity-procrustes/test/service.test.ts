import { expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CompareRequest, SimilarityServiceClient } from '@prune/contracts';
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
    const described = await new Promise<{ metrics: { name: string }[] }>((resolve, reject) =>
      client.describe({}, (e, r) => (e ? reject(e) : resolve(r))),
    );
    expect(described.metrics.map((m) => m.name)).toContain('procrustes');
    expect(described.metrics.map((m) => m.name)).not.toContain('linear_cka'); // another service's family
    const x = store.putFile(encodeMatrix(4, 2, Float32Array.from([1, 0, 0, 1, -1, 0, 0, -1.5])));
    const y = store.putFile(encodeMatrix(4, 2, Float32Array.from([0, 2, -2, 0, 0, -2, 3, 0]))); // x rotated 90 degrees and scaled
    const compare = (metric: string) =>
      new Promise<{ similarity: number }>((resolve, reject) =>
        client.compare(CompareRequest.fromPartial({ metric, x, y }), (e, r) => (e ? reject(e) : resolve(r))),
      );
    expect((await compare('procrustes')).similarity).toBeCloseTo(1, 6);
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
