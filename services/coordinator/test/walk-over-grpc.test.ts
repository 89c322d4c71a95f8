// One iteration of the greedy walk through the real services: trainer, criterion, candidates and
// similarity each run as their own process on loopback, sharing an artifact store directory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@prune/compute';
import type { ArtifactRef } from '@prune/contracts';
import { sharedDir } from '@prune/data';
import { loadModel, putModelArtifact } from '@prune/models';
import { greedyWalk, type WalkEvent } from '@prune/pruning';
import { SimilarityRegistry, spawnServiceProcess, type ServiceProcess } from '@prune/service-kit';
import { ArtifactStore } from '@prune/store';
import { grpcWalkPorts } from '../src/grpc-ports.js';

const servicesDir = path.resolve(import.meta.dirname, '../..');

describe('greedy walk over gRPC', () => {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'walk-store-'));
  const processes: Record<string, ServiceProcess> = {};

  beforeAll(async () => {
    await initBackend('wasm', () => {});
    const env = { PRUNE_STORE_DIR: storeDir, PRUNE_BACKEND: 'wasm' };
    await Promise.all(
      ['trainer', 'criterion', 'candidates', 'similarity'].map(async (name) => {
        processes[name] = await spawnServiceProcess(path.join(servicesDir, name, 'src/main.ts'), { env });
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(Object.values(processes).map((p) => p.stop()));
  });

  it('scores, makes both candidates, fine-tunes, compares by CKA and records the choice', async () => {
    const store = new ArtifactStore(storeDir);
    const loaded = await loadModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'));
    const initial = await putModelArtifact(store, loaded.model, loaded.metadata);
    const similarity = await SimilarityRegistry.discover([{ name: 'cka', addresses: [processes['similarity']!.address] }]);
    const tiny = { steps: 1, batchSize: 16, learningRate: 0.001 };
    const ports = grpcWalkPorts({
      store,
      trainers: [processes['trainer']!.address],
      criterion: [processes['criterion']!.address],
      candidates: [processes['candidates']!.address],
      similarity,
      dataset: 'cifar10-jpeg',
      criterionName: 'kl',
      metric: 'linear_cka',
      calibrationExamples: 16,
      validationExamples: 50,
      testExamples: 100,
      candidateFineTune: tiny,
      selectedFineTune: tiny,
      seed: 0,
    });
    const events: WalkEvent<ArtifactRef>[] = [];
    try {
      const config = { maxIterations: 1, targetMacsReduction: 0, accuracyFloor: 0, blocksPerIteration: 1, filterMatch: 'count' as const, policy: 'similarity' as const, layerEpsilon: 0, seed: 0 };
      for await (const event of greedyWalk(initial, config, ports, 'grpc-test')) events.push(event);
    } finally {
      ports.close();
      similarity.close();
    }
    const done = events.at(-1)!;
    expect(done.type).toBe('done');
    if (done.type !== 'done') return;
    const [record] = done.iterations;
    expect(record!.layer!.removed).toHaveLength(1);
    expect(record!.filter!.removed.length).toBeGreaterThanOrEqual(32);
    expect(record!.layer!.similarity).toBeGreaterThan(0);
    expect(record!.filter!.similarity).toBeGreaterThan(0);
    expect(record!.choice).toBe(record!.filter!.similarity > record!.layer!.similarity ? 'F' : 'L');
    expect(record!.model.uri).toMatch(/^store:\/\/dirs\//);
    expect(record!.macs).toBeLessThan(40_551_040);
    expect(record!.testAccuracy).toBeGreaterThan(0.3);
  });
});
