// The cluster topology on loopback: two trainer and two criterion replicas, one candidates, one
// similarity and one coordinator process, one address list per service. A trainer is killed
// (SIGKILL) while it fine-tunes a candidate; the call is retried on the other and the run finishes.
import { afterAll, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Phase, RunState } from '@prune/contracts';
import { sharedDir } from '@prune/data';
import { CoordinatorClient } from '@prune/coordinator-client';
import { spawnServiceProcess, type ServiceProcess } from '@prune/service-kit';

const servicesDir = path.resolve(import.meta.dirname, '../..');
const processes: ServiceProcess[] = [];
const start = async (name: string, env: NodeJS.ProcessEnv) => {
  const service = await spawnServiceProcess(path.join(servicesDir, name, 'src/main.ts'), { env });
  processes.push(service);
  return service;
};
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
});

it('a run survives losing one of two trainers mid fine-tune', async () => {
  const env = { PRUNE_STORE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'replicas-store-')) };
  const [trainerA, trainerB, criterionA, criterionB, candidates, similarity] = await Promise.all(
    ['trainer', 'trainer', 'criterion', 'criterion', 'candidates', 'similarity'].map((name) => start(name, env)),
  );
  const coordinator = await start('coordinator', {
    ...env,
    PRUNE_TRAINER_ADDRESSES: `${trainerA!.address},${trainerB!.address}`,
    PRUNE_CRITERION_ADDRESSES: `${criterionA!.address},${criterionB!.address}`,
    PRUNE_CANDIDATES_ADDRESSES: candidates!.address,
    PRUNE_SIMILARITY_SERVICES: `cka=${similarity!.address}`,
  });
  const client = new CoordinatorClient(coordinator.address);
  try {
    await client.start(
      {
        model: { uri: path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json') },
        dataset: 'cifar10-jpeg',
        maxIterations: 1,
        calibrationExamples: 16,
        validationExamples: 50,
        testExamples: 100,
        // long enough that both candidate fine-tunes are still running when a trainer dies
        candidateFinetune: { steps: 40, batchSize: 16, learningRate: 0.001 },
        selectedFinetune: { steps: 1, batchSize: 16, learningRate: 0.001 },
      },
      'replicas',
    );
    const jobs = new Set<string>();
    let run = await client.get('replicas');
    for await (const event of client.watch('replicas')) {
      if (event?.$case === 'run') run = event.value;
      // both candidates report progress: one fine-tune runs on each trainer; kill trainer A
      if (event?.$case === 'phase' && event.value.phase === Phase.PHASE_FINE_TUNE_CANDIDATES && event.value.detail) {
        jobs.add(event.value.detail.split(':')[0]!);
        if (jobs.size === 2 && trainerA!.child.exitCode === null && trainerA!.child.signalCode === null)
          await trainerA!.stop('SIGKILL');
      }
    }
    expect(trainerA!.child.signalCode).toBe('SIGKILL');
    expect(run.state).toBe(RunState.RUN_STATE_SUCCEEDED);
    expect(run.iterations).toHaveLength(1);
    expect(coordinator.stderr()).toMatch(/call failed \(14 UNAVAILABLE.*retry 1, on another replica/);
  } finally {
    client.close();
  }
});
