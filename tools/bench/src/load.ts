// A bounded load test of the whole system on loopback: while every service is probed for health
// every 50 ms, (1) 200 concurrent Compare calls hit the similarity service, then (2) four tiny
// pruning runs go through the coordinator at once. Prints the latency percentiles of health
// checks and compares, and the runs' outcome and wall time.
//   npm run bench:load
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { CompareRequest, SimilarityServiceClient } from '@prune/contracts';
import { CoordinatorClient } from '@prune/coordinator-client';
import { sharedDir } from '@prune/data';
import { callUnary, checkHealth, startLocalServices } from '@prune/service-kit';
import { ArtifactStore, encodeMatrix } from '@prune/store';
import { printTable } from './table.js';

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const ms = (x: number) => `${x.toFixed(1)} ms`;

const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prune-load-'));
const services = await startLocalServices(path.resolve(import.meta.dirname, '../../../services'), {
  env: { PRUNE_STORE_DIR: storeDir },
  trainers: 2,
});
const addresses = services.processes.map((p) => ({ name: p.name, address: p.service.address }));

/** Health latencies of every service while `work` runs. */
async function healthDuring<T>(work: () => Promise<T>): Promise<{ result: T; latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  let done = false;
  const probes = addresses.map(async ({ address }) => {
    while (!done) {
      const started = performance.now();
      const status = await checkHealth(address, '', 1000).catch(() => 'unreachable');
      if (status === 'SERVING') latencies.push(performance.now() - started);
      else failures++;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  try {
    return { result: await work(), latencies, failures };
  } finally {
    done = true;
    await Promise.all(probes);
  }
}

const rows: string[][] = [];
try {
  const store = new ArtifactStore(storeDir);
  const values = (seed: number) => Float32Array.from({ length: 1000 * 64 }, (_, i) => Math.sin(i * seed));
  const x = store.putFile(encodeMatrix(1000, 64, values(1.1)));
  const y = store.putFile(encodeMatrix(1000, 64, values(0.7)));
  const similarity = addresses.find((a) => a.name === 'similarity')!.address;
  const client = new SimilarityServiceClient(similarity, grpc.credentials.createInsecure());
  const compares = await healthDuring(() =>
    Promise.all(
      Array.from({ length: 200 }, async () => {
        const started = performance.now();
        await callUnary(client, client.compare, CompareRequest.fromPartial({ metric: 'linear_cka', x, y }), 300_000);
        return performance.now() - started;
      }),
    ),
  );
  client.close();
  rows.push(
    [
      '200 concurrent Compare (linear CKA, 1,000 x 64)',
      'compare',
      ms(percentile(compares.result, 50)),
      ms(percentile(compares.result, 99)),
      '0',
    ],
    [
      '  health of every service meanwhile',
      'health',
      ms(percentile(compares.latencies, 50)),
      ms(percentile(compares.latencies, 99)),
      String(compares.failures),
    ],
  );

  const coordinator = new CoordinatorClient(services.coordinator);
  const model = path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json');
  const runs = await healthDuring(() =>
    Promise.all(
      Array.from({ length: 4 }, async (_, i) => {
        const started = performance.now();
        const run = await coordinator.start({
          model: { uri: model },
          dataset: 'cifar10-jpeg',
          maxIterations: 1,
          candidateFinetune: { steps: 5, batchSize: 32 },
          selectedFinetune: { steps: 5, batchSize: 32 },
          calibrationExamples: 32,
          validationExamples: 200,
          testExamples: 200,
          seed: i,
        });
        for await (const _ of coordinator.watch(run.id)) void _;
        const finished = await coordinator.get(run.id);
        return { state: finished.state, seconds: (performance.now() - started) / 1000 };
      }),
    ),
  );
  coordinator.close();
  const succeeded = runs.result.filter((r) => r.state === 3).length;
  rows.push(
    [
      `4 concurrent runs (1 iteration each): ${succeeded}/4 succeeded`,
      'run',
      `${percentile(
        runs.result.map((r) => r.seconds),
        50,
      ).toFixed(1)} s`,
      `${Math.max(...runs.result.map((r) => r.seconds)).toFixed(1)} s`,
      String(4 - succeeded),
    ],
    [
      '  health of every service meanwhile',
      'health',
      ms(percentile(runs.latencies, 50)),
      ms(percentile(runs.latencies, 99)),
      String(runs.failures),
    ],
  );
} finally {
  await services.stop();
  fs.rmSync(storeDir, { recursive: true, force: true });
}
console.log(`load on ${os.availableParallelism()} cores, every service probed every 50 ms:\n`);
printTable(['what', 'calls', 'p50', 'p99 (runs: max)', 'failures'], rows);
