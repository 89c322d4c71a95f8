// The whole system on loopback: trainer, criterion, candidates, similarity and the coordinator
// each run as their own process; a client starts runs through the coordinator's contract. One
// run is killed with SIGKILL mid-iteration and resumes from its journal in a new coordinator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { status } from '@grpc/grpc-js';
import { Choice, Corruption, Phase, RunState, SelectionPolicy } from '@prune/contracts';
import { sharedDir } from '@prune/data';
import { CoordinatorClient, type RunConfigInput } from '@prune/coordinator-client';
import { spawnServiceProcess, type ServiceProcess } from '@prune/service-kit';

const servicesDir = path.resolve(import.meta.dirname, '../..');
const tiny = { steps: 1, batchSize: 16, learningRate: 0.001 };
const smallRun = (): RunConfigInput => ({
  model: { uri: path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'), sha256: '' },
  dataset: 'cifar10-jpeg',
  maxIterations: 1,
  calibrationExamples: 16,
  validationExamples: 50,
  testExamples: 100,
  candidateFinetune: tiny,
  selectedFinetune: tiny,
});

describe('coordinator end to end', () => {
  const storeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'coordinator-store-'));
  const services: Record<string, ServiceProcess> = {};
  let coordinatorEnv: NodeJS.ProcessEnv = {};
  let coordinator: ServiceProcess | undefined;
  const clients: CoordinatorClient[] = [];
  const startCoordinator = async () => {
    coordinator = await spawnServiceProcess(path.join(servicesDir, 'coordinator/src/main.ts'), { env: coordinatorEnv });
    const client = new CoordinatorClient(coordinator.address);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    const env = { PRUNE_STORE_DIR: storeDir };
    await Promise.all(
      ['trainer', 'criterion', 'candidates', 'similarity', 'similarity-procrustes'].map(async (name) => {
        services[name] = await spawnServiceProcess(path.join(servicesDir, name, 'src/main.ts'), { env });
      }),
    );
    coordinatorEnv = {
      ...env,
      PRUNE_TRAINER_ADDRESSES: services['trainer']!.address,
      PRUNE_CRITERION_ADDRESSES: services['criterion']!.address,
      PRUNE_CANDIDATES_ADDRESSES: services['candidates']!.address,
      PRUNE_SIMILARITY_SERVICES: `cka=${services['similarity']!.address};procrustes=${services['similarity-procrustes']!.address}`,
    };
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all([...Object.values(services), coordinator].map((p) => p?.stop()));
  });

  it('refuses bad requests with the field named', async () => {
    const client = await startCoordinator();
    const refused = (config: RunConfigInput, runId = '') =>
      client.start(config, runId).then(
        () => ({ code: -1, details: 'accepted' }),
        (e: { code: number; details: string }) => e,
      );
    expect(await refused({ ...smallRun(), dataset: '' })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('config.dataset'),
    });
    expect(await refused({ ...smallRun(), metric: 'no_such_metric' })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('config.metric: "no_such_metric" is not offered'),
    });
    // A bound a metric declares (in Describe) is checked before the run starts.
    expect(
      await refused({ ...smallRun(), metric: 'gaussian_shape_metric', metricParameters: { alpha: 3 } }),
    ).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining(
        'config.metric_parameters.alpha: gaussian_shape_metric takes a number from 0 to 2',
      ),
    });
    expect(await refused({ ...smallRun(), criterion: 'taylor' })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('config.criterion'),
    });
    expect(await refused({ ...smallRun(), maxIterations: 0 })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('config.max_iterations'),
    });
    expect(await refused({ ...smallRun(), model: { uri: '/etc/passwd', sha256: '' } })).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('outside the model roots'),
    });
    expect(
      await refused({ ...smallRun(), model: { uri: `store://dirs/${'0'.repeat(64)}`, sha256: '' } }),
    ).toMatchObject({ code: status.NOT_FOUND });
    expect(await refused(smallRun(), 'Not An Id')).toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('run_id'),
    });
    await expect(client.get('missing')).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: expect.stringContaining('run_id'),
    });
  });

  it('cancels a run in flight', async () => {
    const client = clients.at(-1)!;
    await client.start({ ...smallRun(), policy: SelectionPolicy.SELECTION_POLICY_RANDOM }, 'cancel-me');
    for await (const event of client.watch('cancel-me')) if (event?.$case === 'phase') break;
    const cancelled = await client.cancel('cancel-me');
    expect(cancelled.state).toBe(RunState.RUN_STATE_CANCELLED);
  });

  it('runs an iteration, survives SIGKILL mid-iteration and finishes the run from its journal', async () => {
    let client = clients.at(-1)!;
    // Assessed: the parent at the start, the kept model after it is evaluated (latency included,
    // measured by the trainer's compute worker).
    const assessment = {
      examples: 40,
      epsilonLevels: [4],
      pgdSteps: 1,
      corruptions: [Corruption.CORRUPTION_BRIGHTNESS],
      severities: [2],
    };
    const started = await client.start({ ...smallRun(), assessment }, 'e2e');
    expect(started.state).toBeLessThanOrEqual(RunState.RUN_STATE_RUNNING);
    // kill -9 once both candidates are fine-tuned (their steps are in the journal)
    for await (const event of client.watch('e2e'))
      if (event?.$case === 'phase' && event.value.phase === Phase.PHASE_COMPARE) break;
    await coordinator!.stop('SIGKILL');
    const journal = fs
      .readFileSync(path.join(storeDir, 'runs/e2e/steps.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean).length;
    expect(journal).toBeGreaterThanOrEqual(8);

    client = await startCoordinator();
    let run = await client.get('e2e');
    for await (const event of client.watch('e2e')) if (event?.$case === 'run') run = event.value;
    expect(coordinator!.stderr()).toContain('resuming run e2e');
    expect(coordinator!.stderr()).toMatch(/run e2e: \d+ journaled steps replayed/);
    expect(run.state).toBe(RunState.RUN_STATE_SUCCEEDED);
    expect(run.stopReason).toBe('reached 1 iterations');
    expect(run.initialCost!.macs).toBe(40_551_040);
    expect(run.initialTestAccuracy).toBeGreaterThan(0.7);
    const [iteration] = run.iterations;
    const { layerCandidate: layer, filterCandidate: filter } = iteration!;
    expect(layer!.removed).toHaveLength(1);
    expect(layer!.removedScores).toHaveLength(1);
    expect(filter!.removed.length).toBe(filter!.removedScores.length);
    expect(layer!.similarity).toBeGreaterThan(0);
    expect(filter!.similarity).toBeGreaterThan(0);
    expect(iteration!.choice).toBe(filter!.similarity > layer!.similarity ? Choice.CHOICE_FILTER : Choice.CHOICE_LAYER);
    expect(iteration!.cost!.macs).toBeLessThan(run.initialCost!.macs);
    expect(run.resultModel!.uri).toBe(iteration!.model!.uri);
    expect(iteration!.fineTuneSeconds).toBeGreaterThan(0);
    for (const assessed of [run.initialAssessment!, iteration!.assessment!]) {
      expect(assessed.examples).toBe(40);
      expect(assessed.adversarial.map((a) => [a.attack, a.epsilon])).toEqual([
        ['fgsm', 4 / 255],
        ['pgd', 4 / 255],
      ]);
      expect(assessed.corruptions).toHaveLength(1);
      expect(assessed.latency.map((l) => `${l.engine.replace(/^tfjs-.*/, 'tfjs')} ${l.batch}`)).toEqual([
        'tfjs 1',
        'onnxruntime-cpu 1',
        'tfjs 64',
        'onnxruntime-cpu 64',
      ]);
      expect(assessed.energy.length).toBeGreaterThan(0);
    }
    expect((await client.list()).map((r) => r.id).sort()).toEqual(['cancel-me', 'e2e']);

    // the user's side: `prune report` and `prune list` against this coordinator
    const prune = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [path.join(servicesDir, '../tools/cli/bin/prune.js'), ...args, '--coordinator', coordinator!.address],
        { encoding: 'utf8' },
      );
    const report = prune('report', 'e2e', '--json');
    expect(report.status).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({
      id: 'e2e',
      state: 'succeeded',
      decisions: iteration!.choice === Choice.CHOICE_LAYER ? 'L' : 'F',
      initial: { macs: 40_551_040 },
    });
    const text = prune('report', 'e2e');
    expect(text.stdout).toMatch(/^model +MACs +clean +fgsm 4 +pgd 4 +corrupt/m);
    expect(text.stdout).toMatch(/^parent +40\.55M/m);
    expect(text.stdout).toMatch(/^iteration 1 \([LF]\) /m);
    expect(prune('list').stdout).toMatch(/^cancel-me +cancelled/m);
    expect(prune('report', 'nope')).toMatchObject({
      status: 1,
      stderr: expect.stringContaining('run_id: no run "nope"'),
    });
  });

  it("compares candidates with a stochastic metric: each validation image answered as the metric's Describe asks", async () => {
    const client = clients.at(-1)!;
    await client.start({ ...smallRun(), validationExamples: 20, metric: 'gaussian_shape_metric' }, 'stochastic');
    let run = await client.get('stochastic');
    for await (const event of client.watch('stochastic')) if (event?.$case === 'run') run = event.value;
    expect(run.state, run.error).toBe(RunState.RUN_STATE_SUCCEEDED);
    const [iteration] = run.iterations;
    for (const candidate of [iteration!.layerCandidate!, iteration!.filterCandidate!]) {
      expect(candidate.similarity).toBeGreaterThan(0);
      expect(candidate.similarity).toBeLessThanOrEqual(1);
    }
  });
});
