// `prune run|watch|list|cancel|report`: the coordinator's client side. The coordinator is found
// with --coordinator host:port, else PRUNE_COORDINATOR, else 127.0.0.1:50050.
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { FilterMatch, PHASE_NAMES, RunConfig, SELECTION_POLICY_NAMES, type Run } from '@prune/contracts';
import { writeFileAtomic } from '@prune/store';
import { CoordinatorClient, type RunConfigInput } from '@prune/coordinator-client';
import { checkHealth } from '@prune/service-kit';
import { UsageError } from './inspect.js';
import { renderRunHtml } from './report-html.js';
import { choiceLetter, formatRunReport, stateName, summarizeRun } from './report.js';

const COORDINATOR = { coordinator: { type: 'string' } } as const;

function connect(values: { coordinator?: string }): CoordinatorClient {
  return new CoordinatorClient(values.coordinator ?? process.env['PRUNE_COORDINATOR'] ?? '127.0.0.1:50050');
}

function number(values: Record<string, unknown>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new UsageError(`--${name}: expected a non-negative number, got "${String(raw)}"`);
  return value;
}

/** `--<flag> name=value` (repeatable) as a plug-in's parameters; the services check the names. */
function parameters(flag: string, given: string[] | undefined): Record<string, number> {
  return Object.fromEntries(
    (given ?? []).map((pair) => {
      const match = /^([A-Za-z_][\w-]*)=(.+)$/.exec(pair);
      const value = Number(match?.[2]);
      if (!match || !Number.isFinite(value)) throw new UsageError(`--${flag}: expected name=number, got "${pair}"`);
      return [match[1]!, value];
    }),
  );
}

/** Builds a run configuration from flags; unset flags take the coordinator's defaults. */
export function runConfigFromFlags(argv: string[]): {
  config: RunConfigInput;
  runId: string;
  detach: boolean;
  coordinator?: string;
} {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COORDINATOR,
      model: { type: 'string' },
      data: { type: 'string' },
      'run-id': { type: 'string' },
      iterations: { type: 'string' },
      policy: { type: 'string' },
      criterion: { type: 'string' },
      'criterion-param': { type: 'string', multiple: true },
      metric: { type: 'string' },
      'metric-param': { type: 'string', multiple: true },
      'target-macs-reduction': { type: 'string' },
      'accuracy-floor': { type: 'string' },
      'blocks-per-iteration': { type: 'string' },
      'filter-match': { type: 'string' },
      'layer-epsilon': { type: 'string' },
      'candidate-steps': { type: 'string' },
      'selected-steps': { type: 'string' },
      'batch-size': { type: 'string' },
      'learning-rate': { type: 'string' },
      'no-augment': { type: 'boolean', default: false },
      calibration: { type: 'string' },
      'validation-examples': { type: 'string' },
      'test-examples': { type: 'string' },
      seed: { type: 'string' },
      detach: { type: 'boolean', default: false },
    },
  });
  if (!values.model)
    throw new UsageError(
      '--model: a model file (manifest, Keras .h5/.json, TF.js model.json) or a store:// URI is required',
    );
  if (!values.data) throw new UsageError('--data: a dataset is required, e.g. cifar10-jpeg');
  const policy = values.policy === undefined ? undefined : SELECTION_POLICY_NAMES.parse(values.policy);
  if (values.policy !== undefined && policy === undefined)
    throw new UsageError(
      `--policy: expected one of ${SELECTION_POLICY_NAMES.names.join(', ')}, got "${values.policy}"`,
    );
  if (values['filter-match'] !== undefined && !['count', 'macs'].includes(values['filter-match']))
    throw new UsageError(`--filter-match: expected count or macs, got "${values['filter-match']}"`);
  const fineTune = (steps: number | undefined) => ({
    steps,
    batchSize: number(values, 'batch-size'),
    learningRate: number(values, 'learning-rate'),
    augment: values['no-augment'] ? false : undefined,
  });
  const config: RunConfigInput = {
    model: { uri: values.model.startsWith('store://') ? values.model : path.resolve(values.model) },
    dataset: values.data,
    criterion: values.criterion,
    criterionParameters: parameters('criterion-param', values['criterion-param']),
    metric: values.metric,
    metricParameters: parameters('metric-param', values['metric-param']),
    policy,
    maxIterations: number(values, 'iterations'),
    targetMacsReduction: number(values, 'target-macs-reduction'),
    accuracyFloor: number(values, 'accuracy-floor'),
    blocksPerIteration: number(values, 'blocks-per-iteration'),
    filterMatch:
      values['filter-match'] === 'macs'
        ? FilterMatch.FILTER_MATCH_MACS
        : values['filter-match'] === 'count'
          ? FilterMatch.FILTER_MATCH_COUNT
          : undefined,
    layerEpsilon: number(values, 'layer-epsilon'),
    candidateFinetune: fineTune(number(values, 'candidate-steps')),
    selectedFinetune: fineTune(number(values, 'selected-steps')),
    calibrationExamples: number(values, 'calibration'),
    validationExamples: number(values, 'validation-examples'),
    testExamples: number(values, 'test-examples'),
    seed: number(values, 'seed'),
  };
  return { config, runId: values['run-id'] ?? '', detach: values.detach, coordinator: values.coordinator };
}

/** Follows a run: one progress line per phase (redrawn in place on a terminal), a row per iteration. */
export async function followRun(
  client: CoordinatorClient,
  runId: string,
  out: NodeJS.WriteStream = process.stderr,
): Promise<Run> {
  let run = await client.get(runId);
  let phase = '';
  const tty = out.isTTY;
  const bar = (fraction: number) =>
    `[${'#'.repeat(Math.round(20 * fraction)).padEnd(20, '-')}] ${(100 * fraction).toFixed(0).padStart(3)}%`;
  for await (const event of client.watch(runId)) {
    if (!event) continue;
    if (event.$case === 'run') run = event.value;
    else if (event.$case === 'phase') {
      const name = `iteration ${event.value.iteration + 1}: ${PHASE_NAMES.name(event.value.phase) ?? 'a step this client does not know'}`;
      const text = `${name.padEnd(36)} ${bar(event.value.progress)} ${event.value.detail}`;
      if (tty)
        out.write(`\r\x1b[2K${text.slice(0, (out.columns || 120) - 1)}`); // one line, redrawn in place
      else if (name !== phase) out.write(`${name}\n`);
      phase = name;
    } else {
      const i = event.value;
      if (tty) out.write('\r\x1b[2K');
      out.write(
        `iteration ${i.index + 1}: chose ${choiceLetter(i.choice)} (CKA L ${i.layerCandidate?.similarity.toFixed(4) ?? '-'}, F ${i.filterCandidate?.similarity.toFixed(4) ?? '-'}), ` +
          `MACs ${((i.cost?.macs ?? 0) / 1e6).toFixed(2)}M, val ${(100 * i.validationAccuracy).toFixed(2)}%, test ${(100 * i.testAccuracy).toFixed(2)}%\n`,
      );
    }
  }
  if (tty) out.write('\r\x1b[2K');
  return run;
}

async function withClient<T>(
  values: { coordinator?: string },
  use: (client: CoordinatorClient) => Promise<T>,
): Promise<T> {
  const client = connect(values);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

function runIdArgument(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`usage: prune ${command} <run-id> [--coordinator host:port]`);
  return positionals[0]!;
}

export async function runCommand(argv: string[]): Promise<void> {
  const { config, runId, detach, coordinator } = runConfigFromFlags(argv);
  await withClient({ coordinator }, async (client) => {
    const run = await client.start(config, runId);
    console.log(`run ${run.id}: ${stateName(run.state)}`);
    if (detach) return;
    console.log(formatRunReport(summarizeRun(await followRun(client, run.id))));
  });
}

export async function watchCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: COORDINATOR, allowPositionals: true });
  const id = runIdArgument(positionals, 'watch');
  await withClient(values, async (client) => console.log(formatRunReport(summarizeRun(await followRun(client, id)))));
}

export async function listCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: COORDINATOR });
  await withClient(values, async (client) => {
    for (const run of await client.list()) {
      const s = summarizeRun(run);
      console.log(
        `${run.id.padEnd(28)} ${s.state.padEnd(10)} ${String(run.iterations.length).padStart(3)} it  ${(s.decisions || '-').padEnd(12)} MACs -${(100 * s.macsReduction).toFixed(1)}%  ${run.createdAt}`,
      );
    }
  });
}

export async function cancelCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: COORDINATOR, allowPositionals: true });
  const id = runIdArgument(positionals, 'cancel');
  await withClient(values, async (client) => console.log(`run ${id}: ${stateName((await client.cancel(id)).state)}`));
}

export async function reportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...COORDINATOR, json: { type: 'boolean', default: false }, html: { type: 'string' } },
    allowPositionals: true,
  });
  const id = runIdArgument(positionals, 'report');
  await withClient(values, async (client) => {
    const run = await client.get(id);
    const summary = summarizeRun(run);
    console.log(values.json ? JSON.stringify(summary, null, 2) : formatRunReport(summary));
    if (values.html) {
      writeFileAtomic(
        values.html,
        renderRunHtml(summary, run.config ? (RunConfig.toJSON(run.config) as Record<string, unknown>) : {}),
      );
      console.error(`HTML report written to ${values.html}`);
    }
  });
}

/** `prune health <host:port> [--service name]`: exit 0 when the service answers SERVING (image health checks). */
export async function healthCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { service: { type: 'string', default: '' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1)
    throw new UsageError('usage: prune health <host:port> [--service prune.v1.TrainerService]');
  const state = await checkHealth(positionals[0]!, values.service);
  console.log(state);
  if (state !== 'SERVING') process.exitCode = 1;
}
