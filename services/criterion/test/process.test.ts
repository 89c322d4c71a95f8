import { expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { initBackend } from '@prune/compute';
import { CriterionServiceClient, ScoreRequest, StructureKind } from '@prune/contracts';
import { sharedDir } from '@prune/data';
import { loadModel, putModelArtifact } from '@prune/models';
import { callUnary, cpuSecondsOf, pollHealth, probeServiceProcess, spawnServiceProcess } from '@prune/service-kit';
import { ArtifactStore } from '@prune/store';

const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

it('criterion: a real process serves health on its port and exits 0 on SIGTERM', async () => {
  const probe = await probeServiceProcess(MAIN, 'prune.v1.CriterionService');
  expect(probe).toMatchObject({ health: 'SERVING', exitCode: 0 });
  expect(probe.stderr).toContain('SIGTERM: shutting down prune.v1.CriterionService');
});

it('criterion: while it scores (KL on every filter), health answers within a second, and a cancel stops the scoring', async () => {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'criterion-live-'));
  await initBackend(undefined, () => {});
  const loaded = await loadModel(path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'));
  const model = await putModelArtifact(new ArtifactStore(storeDir), loaded.model, loaded.metadata);
  loaded.model.dispose();
  const service = await spawnServiceProcess(MAIN, { env: { PRUNE_STORE_DIR: storeDir, PRUNE_THREADS: '1' } });
  const client = new CriterionServiceClient(service.address, grpc.credentials.createInsecure());
  try {
    /** KL scores of every filter on `examples` calibration images. */
    const scoreFilters = (examples: number, seed: number, deadlineMs?: number) =>
      callUnary(
        client,
        client.score,
        ScoreRequest.fromPartial({
          model,
          criterion: 'kl',
          kind: StructureKind.STRUCTURE_KIND_FILTER,
          calibration: { uri: 'cifar10-lossless-4000', maxExamples: examples, seed },
        }),
        deadlineMs,
      );
    const health = pollHealth(service.address, 'prune.v1.CriterionService');
    const started = performance.now();
    const { scores } = await scoreFilters(64, 1);
    const seconds = (performance.now() - started) / 1000;
    const answers = await health.stop();
    expect(scores.length).toBeGreaterThan(100);
    expect(answers.length).toBeGreaterThan(seconds * 5);
    expect(answers.every((a) => a.status === 'SERVING')).toBe(true);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(1000);

    // A longer scoring (4x the images), cancelled while it computes: the process goes idle.
    const scoring = scoreFilters(256, 2, 1500); // the client's deadline: it gives up, and the call is cancelled
    await expect(scoring).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    await sleep(1000); // the pass in flight ends
    const before = cpuSecondsOf(service.child.pid!);
    await sleep(1500);
    expect(cpuSecondsOf(service.child.pid!) - before).toBeLessThan(0.3); // ~1.5 s if it went on
  } finally {
    client.close();
    await service.stop();
    fs.rmSync(storeDir, { recursive: true, force: true });
  }
});
