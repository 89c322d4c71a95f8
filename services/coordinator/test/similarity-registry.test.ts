// Similarity services are plug-ins: the coordinator learns metrics from the registry and
// Describe. Here the CKA and Procrustes services run as real processes, and a third, test-only
// similarity server (a metric no other service knows) is selected by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { SimilarityServiceService, type SimilarityServiceServer } from '@prune/contracts';
import {
  serve,
  spawnServiceProcess,
  unary,
  withRetry,
  type RunningServer,
  type ServiceProcess,
} from '@prune/service-kit';
import { parseSimilarityRegistry, SimilarityRegistry } from '../src/similarity-registry.js';
import { ArtifactStore, decodeMatrix, encodeMatrix } from '@prune/store';

const servicesDir = path.resolve(import.meta.dirname, '../..');

describe('similarity registry', () => {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'registry-store-'));
  const store = new ArtifactStore(storeDir);
  let cka: ServiceProcess;
  let procrustes: ServiceProcess;
  let testOnly: RunningServer;

  beforeAll(async () => {
    const env = { PRUNE_STORE_DIR: storeDir };
    [cka, procrustes] = await Promise.all([
      spawnServiceProcess(path.join(servicesDir, 'similarity/src/main.ts'), { env }),
      spawnServiceProcess(path.join(servicesDir, 'similarity-procrustes/src/main.ts'), { env }),
    ]);
    // A test-only metric: cosine similarity of the flattened representations.
    const implementation: SimilarityServiceServer = {
      describe: unary(async () => ({
        metrics: [
          { name: 'test_flat_cosine', description: 'test only', parameters: [], minRows: 1, parameterRanges: [] },
        ],
      })),
      compare: unary(async (request) => {
        const x = decodeMatrix(store.readFile(request.x!)).data;
        const y = decodeMatrix(store.readFile(request.y!)).data;
        let dot = 0,
          nx = 0,
          ny = 0;
        x.forEach((v, i) => ((dot += v * y[i]!), (nx += v * v), (ny += y[i]! * y[i]!)));
        return { metric: request.metric, similarity: dot / Math.sqrt(nx * ny), rows: 0 };
      }),
    };
    testOnly = await serve({
      address: '127.0.0.1:0',
      services: [{ name: 'prune.v1.SimilarityService', definition: SimilarityServiceService, implementation }],
      protoFiles: ['prune/v1/similarity.proto'],
      log: () => {},
    });
  });
  afterAll(async () => {
    await Promise.all([cka?.stop(), procrustes?.stop(), testOnly?.shutdown()]);
  });

  it('discovers every metric and routes each comparison to the service offering it', async () => {
    const registry = await SimilarityRegistry.discover(
      parseSimilarityRegistry(`cka=${cka.address};procrustes=${procrustes.address};plugin=${testOnly.address}`),
    );
    try {
      // Each metric under the service that offers it (what each family holds is the services' to say).
      const offered = registry.metrics().map((m) => `${m.service}/${m.info.name}`);
      expect(offered).toEqual(
        expect.arrayContaining(['cka/linear_cka', 'cka/rbf_cka', 'procrustes/procrustes', 'plugin/test_flat_cosine']),
      );
      expect(new Set(offered.map((o) => o.split('/')[1])).size).toBe(offered.length); // each name once
      const values = Float32Array.from({ length: 40 }, (_, i) => Math.cos(i));
      const x = store.putFile(encodeMatrix(10, 4, values));
      const y = store.putFile(
        encodeMatrix(
          10,
          4,
          values.map((v) => 3 * v),
        ),
      );
      expect((await registry.compare('test_flat_cosine', x, y)).similarity).toBeCloseTo(1, 6);
      expect((await registry.compare('linear_cka', x, y)).similarity).toBeCloseTo(1, 6);
      expect((await registry.compare('procrustes', x, y)).similarity).toBeCloseTo(1, 6);
      expect(() => registry.compare('nope', x, y)).toThrow(
        'metric: "nope" is not offered by any configured similarity service',
      );
    } finally {
      registry.close();
    }
  });

  it("routes a stochastic metric with its sampling: the representations' rows per example go with the request", async () => {
    const registry = await SimilarityRegistry.discover(parseSimilarityRegistry(`procrustes=${procrustes.address}`));
    try {
      const sampling = registry.sampling('gaussian_shape_metric');
      expect(sampling).toEqual({ samplesPerExample: 8, inputNoise: 0.1 });
      expect(registry.sampling('procrustes')).toBeUndefined();
      // 5 examples x 8 samples; y is x scaled: the same response distributions up to scale.
      const values = Float32Array.from({ length: 40 * 3 }, (_, i) => Math.sin(i * 1.7) + (i % 24 < 3 ? 2 : 0));
      const x = store.putFile(encodeMatrix(40, 3, values));
      const y = store.putFile(
        encodeMatrix(
          40,
          3,
          values.map((v) => 2 * v),
        ),
      );
      expect((await registry.compare('gaussian_shape_metric', x, y)).similarity).toBeCloseTo(1, 6);
      expect((await registry.compare('wasserstein_shape_metric', x, y)).similarity).toBeCloseTo(1, 6);
    } finally {
      registry.close();
    }
  });

  it('parses both registry forms and rejects bad entries', () => {
    expect(parseSimilarityRegistry('cka=a:1,b:2;p=c:3')).toEqual([
      { name: 'cka', addresses: ['a:1', 'b:2'] },
      { name: 'p', addresses: ['c:3'] },
    ]);
    expect(parseSimilarityRegistry('{"services":[{"name":"cka","addresses":["svc:50054"]}]}')).toEqual([
      { name: 'cka', addresses: ['svc:50054'] },
    ]);
    expect(() => parseSimilarityRegistry('cka=')).toThrow(
      'entry "cka" needs a name and at least one host:port address',
    );
    expect(() => parseSimilarityRegistry('cka=nohost')).toThrow('"nohost" is not host:port');
  });

  it('retries UNAVAILABLE with backoff, and only UNAVAILABLE', async () => {
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject({ code: grpc.status.UNAVAILABLE }) : Promise.resolve('ok'));
    expect(await withRetry(flaky, { baseDelayMs: 1 })).toBe('ok');
    expect(calls).toBe(3);
    let other = 0;
    await expect(
      withRetry(() => (other++, Promise.reject({ code: grpc.status.INVALID_ARGUMENT })), { baseDelayMs: 1 }),
    ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    expect(other).toBe(1);
  });
});
