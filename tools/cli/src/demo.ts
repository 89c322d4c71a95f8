// `npm run demo`: the whole system on loopback. Starts two trainers, the criterion, candidates,
// similarity and coordinator services as separate processes, prunes the pretrained ResNet-20 on
// CIFAR-10 (JPEG) through the coordinator's gRPC API with a budget sized for 2 CPU cores, prints
// the decision path, the MACs reduction and the accuracy before and after, then stops everything.
//   npm run demo -- [--iterations 3] [--candidate-steps 50] [--selected-steps 300] [--policy similarity]
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { sharedDir } from '@prune/data';
import { CoordinatorClient } from '@prune/coordinator-client';
import { startLocalServices, type LocalServices } from '@prune/service-kit';
import { followRun, runConfigFromFlags } from './run-commands.js';
import { formatRunReport, summarizeRun } from './report.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '3' },
    'candidate-steps': { type: 'string', default: '50' },
    'selected-steps': { type: 'string', default: '300' },
    policy: { type: 'string', default: 'similarity' },
    seed: { type: 'string', default: '0' },
  },
});
const repo = path.resolve(import.meta.dirname, '../../..');
const env = { PRUNE_STORE_DIR: process.env['PRUNE_STORE_DIR'] ?? path.join(repo, 'artifacts/demo') };
let services: LocalServices | undefined;
process.once('SIGINT', () => void services?.stop().then(() => process.exit(130)));

let exitCode = 0;
try {
  console.log(`starting the services (store ${env.PRUNE_STORE_DIR}):`);
  // Two trainers: the two candidates of an iteration fine-tune in parallel, one per core.
  services = await startLocalServices(path.join(repo, 'services'), { env, trainers: 2, log: console.log });
  const { config } = runConfigFromFlags([
    '--model',
    path.join(sharedDir(), 'models/resnet-cifar10/resnet20-12fca82f.manifest.json'),
    '--data',
    'cifar10-jpeg',
    '--iterations',
    values.iterations!,
    '--policy',
    values.policy!,
    '--candidate-steps',
    values['candidate-steps']!,
    '--selected-steps',
    values['selected-steps']!,
    '--batch-size',
    '64',
    '--calibration',
    '128',
    '--validation-examples',
    '1000',
    '--test-examples',
    '2000',
    '--seed',
    values.seed!,
  ]);
  const client = new CoordinatorClient(services.coordinator);
  try {
    const run = await client.start(config);
    console.log(
      `run ${run.id} started; in another terminal: npx prune watch ${run.id} --coordinator ${services.coordinator}\n`,
    );
    const finished = await followRun(client, run.id, process.stdout);
    const summary = summarizeRun(finished);
    console.log(`\n${formatRunReport(summary)}`);
    if (summary.state !== 'succeeded') exitCode = 1;
  } finally {
    client.close();
  }
} catch (error) {
  console.error(`demo: ${(error as Error & { details?: string }).details ?? (error as Error).message}`);
  exitCode = 1;
} finally {
  await services?.stop();
}
process.exit(exitCode);
