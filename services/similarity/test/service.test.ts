import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CompareRequest, SimilarityServiceClient } from '@prune/contracts';
import { serve, type RunningServer } from '@prune/service-kit';
import { linearCka, matrix, registerSimilarityMetric, similarityMetricByName } from '@prune/similarity-metrics';
import { ArtifactStore, encodeMatrix, type ArtifactRef } from '@prune/store';
import { similarityBinding } from '../src/service.js';
import { polynomialCka } from './polynomial-cka.js';

const defaults = (name: string) => similarityMetricByName(name).parameters;

describe('SimilarityService (CKA)', () => {
  let server: RunningServer;
  let client: InstanceType<typeof SimilarityServiceClient>;
  let store: ArtifactStore;
  const values = (n: number, p: number, seed: number) =>
    Float32Array.from({ length: n * p }, (_, i) => Math.sin(i * seed + seed));

  beforeAll(async () => {
    store = new ArtifactStore(fs.mkdtempSync(path.join(os.tmpdir(), 'similarity-')));
    server = await serve({
      address: '127.0.0.1:0',
      services: [similarityBinding(store)],
      protoFiles: ['prune/v1/similarity.proto'],
      log: () => {},
    });
    client = new SimilarityServiceClient(server.address, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await server?.shutdown();
  });

  const compare = (request: Partial<CompareRequest>) =>
    new Promise<{ similarity: number; rows: number; metric: string }>((resolve, reject) =>
      client.compare(CompareRequest.fromPartial(request), (e, r) => (e ? reject(e) : resolve(r))),
    );

  const describeMetrics = () =>
    new Promise<{ metrics: { name: string; parameters: string[]; minRows: number }[] }>((resolve, reject) =>
      client.describe({}, (e, r) => (e ? reject(e) : resolve(r))),
    );

  it('every metric it describes compares a representation with itself as 1, with its parameters', async () => {
    const described = await describeMetrics();
    expect(described.metrics.map((m) => m.name)).toContain('linear_cka');
    const x = store.putFile(encodeMatrix(50, 6, values(50, 6, 1)));
    for (const metric of described.metrics) {
      const parameters = Object.fromEntries(metric.parameters.map((name) => [name, defaults(metric.name)[name]!]));
      expect((await compare({ metric: metric.name, x, y: x, parameters })).similarity, metric.name).toBeCloseTo(1, 6);
    }
  });

  it('serves a CKA-family metric with parameters registered from one file, without a restart', async () => {
    registerSimilarityMetric('cka', polynomialCka);
    const described = await describeMetrics();
    expect(described.metrics.find((m) => m.name === 'polynomial_cka')).toMatchObject({
      parameters: ['degree', 'offset'],
      minRows: 2,
    });
    const xv = values(30, 5, 1);
    const yv = values(30, 3, 2);
    const [x, y] = [store.putFile(encodeMatrix(30, 5, xv)), store.putFile(encodeMatrix(30, 3, yv))];
    // Degree 1 without offset is the linear kernel: linear CKA exactly; its parameters reach it.
    const linear = await compare({ metric: 'polynomial_cka', x, y, parameters: { degree: 1, offset: 0 } });
    expect(linear.similarity).toBeCloseTo(linearCka(matrix(30, 5, xv), matrix(30, 3, yv)), 10);
    const cubic = await compare({ metric: 'polynomial_cka', x, y, parameters: { degree: 3 } });
    expect(Math.abs(cubic.similarity - linear.similarity)).toBeGreaterThan(1e-3);
    await expect(compare({ metric: 'polynomial_cka', x, y, parameters: { power: 2 } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'parameters.power: polynomial_cka has parameters degree, offset',
    });
  });

  it('compares stored representations', async () => {
    const xv = values(50, 6, 1);
    const yv = values(50, 4, 2);
    const x: ArtifactRef = store.putFile(encodeMatrix(50, 6, xv));
    const y: ArtifactRef = store.putFile(encodeMatrix(50, 4, yv));
    const result = await compare({ metric: 'linear_cka', x, y });
    expect(result.rows).toBe(50);
    expect(result.similarity).toBeCloseTo(linearCka(matrix(50, 6, xv), matrix(50, 4, yv)), 12);
    expect((await compare({ metric: 'rbf_cka', x, y, parameters: { threshold: 0.5 } })).similarity).toBeGreaterThan(0);
  });

  it('answers bad requests with INVALID_ARGUMENT naming the field, missing artifacts with NOT_FOUND', async () => {
    const x = store.putFile(encodeMatrix(50, 6, values(50, 6, 1)));
    const short = store.putFile(encodeMatrix(40, 6, values(40, 6, 3)));
    await expect(compare({ metric: 'cosine', x, y: x })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('metric: "cosine" is not offered here'),
    });
    await expect(compare({ metric: 'linear_cka', x, y: short })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('same number of rows'),
    });
    await expect(
      compare({ metric: 'linear_cka', x, y: { uri: `store://files/${'1'.repeat(64)}`, sha256: '' } }),
    ).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    await expect(
      compare({ metric: 'linear_cka', x, y: { uri: '../../etc/passwd', sha256: '' } }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('y:') });
    await expect(compare({ metric: 'rbf_cka', x, y: x, parameters: { bandwidth: 1 } })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringContaining('parameters.bandwidth'),
    });
  });
});
