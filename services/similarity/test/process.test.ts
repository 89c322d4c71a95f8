import { expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CompareRequest, SimilarityServiceClient } from '@prune/contracts';
import { callUnary, pollHealth, probeServiceProcess, spawnServiceProcess } from '@prune/service-kit';
import { ArtifactStore, encodeMatrix } from '@prune/store';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

it('similarity: a real process serves health on its port and exits 0 on SIGTERM', async () => {
  const probe = await probeServiceProcess(MAIN, 'prune.v1.SimilarityService');
  expect(probe).toMatchObject({ health: 'SERVING', exitCode: 0 });
  expect(probe.stderr).toContain('SIGTERM: shutting down prune.v1.SimilarityService');
});

it('similarity: while it compares (RBF CKA on 3,000 rows), health answers within a second', async () => {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'similarity-live-'));
  const store = new ArtifactStore(storeDir);
  const rows = 3000;
  const columns = 64;
  const values = (seed: number) => Float32Array.from({ length: rows * columns }, (_, i) => Math.sin(i * seed));
  const x = store.putFile(encodeMatrix(rows, columns, values(1.3)));
  const y = store.putFile(encodeMatrix(rows, columns, values(0.7)));
  const service = await spawnServiceProcess(MAIN, { env: { PRUNE_STORE_DIR: storeDir, PRUNE_THREADS: '1' } });
  const client = new SimilarityServiceClient(service.address, grpc.credentials.createInsecure());
  try {
    const health = pollHealth(service.address, 'prune.v1.SimilarityService');
    const started = performance.now();
    const answer = await callUnary(client, client.compare, CompareRequest.fromPartial({ metric: 'rbf_cka', x, y }));
    const seconds = (performance.now() - started) / 1000;
    const answers = await health.stop();
    expect(answer.rows).toBe(rows);
    expect(answers.length).toBeGreaterThan(seconds * 5);
    expect(answers.every((a) => a.status === 'SERVING')).toBe(true);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(1000);
  } finally {
    client.close();
    await service.stop();
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
});
