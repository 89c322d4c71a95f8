// `prune run|serve|watch|list|cancel|report`: the coordinator's client side. The coordinator is
// found with --coordinator host:port, else PRUNE_COORDINATOR, else 127.0.0.1:50050; `prune run`
// starts the services on this machine when none is configured or running there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { modelFileFormatOf, RECORDS_PREPROCESSING } from '@prune/models';
import { FILTER_MATCH_NAMES, PHASE_NAMES, RUN_STATE_NAMES, SELECTION_POLICY_NAMES, type Run } from '@prune/contracts';
import { writeFileAtomic } from '@prune/store';
import { CoordinatorClient, type RunConfigInput } from '@prune/coordinator-client';
import { checkHealth } from '@prune/service-kit';
import { CANCEL, DEFAULT_COORDINATOR, DOWNLOAD, HEALTH, LIST, REPORT, RUN, SERVE, WATCH } from './command-specs.js';
import { booleanFlag, numberFlag, parseFlags, stringFlag, stringsFlag, type FlagValues } from './flags.js';
import { UsageError } from './usage-error.js';
import { startLocalSystem, type LocalSystem } from './local-system.js';
import { renderRunHtml } from './report-html.js';
import { choiceLetter, formatRunReport, stateName, summarizeRun, widthLetter } from './report.js';

/** The coordinator the user configured (--coordinator, else PRUNE_COORDINATOR), if any. */
const configuredCoordinator = (values: FlagValues) =>
  stringFlag(values, 'coordinator') ?? process.env['PRUNE_COORDINATOR'];
const coordinatorAddress = (values: FlagValues) => configuredCoordinator(values) ?? DEFAULT_COORDINATOR;

/** `--<flag> name=value` (repeatable) as a plug-in's parameters; the services check the names. */
function parameters(flag: string, given: string[]): Record<string, number> {
  return Object.fromEntries(
    given.map((pair) => {
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
  local: boolean;
  out?: string;
  coordinator?: string;
} {
  const { values } = parseFlags(RUN, argv);
  const model = stringFlag(values, 'model');
  const data = stringFlag(values, 'data');
  const policyName = stringFlag(values, 'policy');
  const filterMatch = stringFlag(values, 'filter-match');
  if (!model)
    throw new UsageError(
      '--model: a model file (manifest, Keras .h5/.json, TF.js model.json) or a store:// URI is required',
    );
  if (!data) throw new UsageError('--data: a dataset is required, e.g. cifar10-jpeg');
  const policy = policyName === undefined ? undefined : SELECTION_POLICY_NAMES.parse(policyName);
  if (policyName !== undefined && policy === undefined)
    throw new UsageError(`--policy: expected one of ${SELECTION_POLICY_NAMES.names.join(', ')}, got "${policyName}"`);
  const filterMatchValue = filterMatch === undefined ? undefined : FILTER_MATCH_NAMES.parse(filterMatch);
  if (filterMatch !== undefined && filterMatchValue === undefined)
    throw new UsageError(`--filter-match: expected ${FILTER_MATCH_NAMES.names.join(' or ')}, got "${filterMatch}"`);
  const fineTune = (steps: number | undefined) => ({
    steps,
    batchSize: numberFlag(values, 'batch-size'),
    learningRate: numberFlag(values, 'learning-rate'),
    augment: booleanFlag(values, 'no-augment') ? false : undefined,
    distillationWeight: numberFlag(values, 'distill'),
    distillationTemperature: numberFlag(values, 'distill-temperature'),
    dataParallelReplicas: numberFlag(values, 'data-parallel'),
  });
  const config: RunConfigInput = {
    model: { uri: model.startsWith('store://') ? model : path.resolve(model) },
    dataset: data,
    preprocessing: stringFlag(values, 'preprocessing'),
    criterion: stringFlag(values, 'criterion'),
    criterionParameters: parameters('criterion-param', stringsFlag(values, 'criterion-param')),
    metric: stringFlag(values, 'metric'),
    metricParameters: parameters('metric-param', stringsFlag(values, 'metric-param')),
    policy,
    maxIterations: numberFlag(values, 'iterations'),
    targetMacsReduction: numberFlag(values, 'target-macs-reduction'),
    accuracyFloor: numberFlag(values, 'accuracy-floor'),
    maxValidationDrop: numberFlag(values, 'max-validation-drop'),
    blocksPerIteration: numberFlag(values, 'blocks-per-iteration'),
    filterMatch: filterMatchValue,
    layerEpsilon: numberFlag(values, 'layer-epsilon'),
    candidateFinetune: fineTune(numberFlag(values, 'candidate-steps')),
    skipCandidateFinetune: booleanFlag(values, 'no-candidate-finetune') || undefined,
    selectedFinetune: fineTune(numberFlag(values, 'selected-steps')),
    calibrationExamples: numberFlag(values, 'calibration'),
    validationExamples: numberFlag(values, 'validation-examples'),
    testExamples: numberFlag(values, 'test-examples'),
    seed: numberFlag(values, 'seed'),
  };
  const assessExamples = numberFlag(values, 'assess-examples');
  if (assessExamples !== undefined && !booleanFlag(values, 'assess'))
    throw new UsageError('--assess-examples: only with --assess');
  if (assessExamples !== undefined && !(Number.isInteger(assessExamples) && assessExamples > 0))
    throw new UsageError(`--assess-examples: expected a positive integer, got ${assessExamples}`);
  if (booleanFlag(values, 'assess')) config.assessment = { examples: assessExamples };
  return {
    config,
    runId: stringFlag(values, 'run-id') ?? '',
    detach: booleanFlag(values, 'detach'),
    local: booleanFlag(values, 'local'),
    out: stringFlag(values, 'out'),
    coordinator: configuredCoordinator(values),
  };
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
      const step = PHASE_NAMES.name(event.value.phase) ?? 'a step this client does not know';
      // An assessment before the run has its initial model's facts is that model's.
      const initial = step === 'assess' && !run.initialCost;
      const name = initial ? 'initial model: assess' : `iteration ${event.value.iteration + 1}: ${step}`;
      const text = `${name.padEnd(36)} ${bar(event.value.progress)} ${event.value.detail}`;
      if (tty)
        out.write(`\r\x1b[2K${text.slice(0, (out.columns || 120) - 1)}`); // one line, redrawn in place
      else if (name !== phase) out.write(`${name}\n`);
      phase = name;
    } else {
      const i = event.value;
      if (tty) out.write('\r\x1b[2K');
      out.write(
        `iteration ${i.index + 1}: chose ${choiceLetter(i.choice, i.widths)} (CKA L ${i.layerCandidate?.similarity.toFixed(4) ?? '-'}, ${widthLetter(i.widths)} ${i.filterCandidate?.similarity.toFixed(4) ?? '-'}), ` +
          `MACs ${((i.cost?.macs ?? 0) / 1e6).toFixed(2)}M, val ${(100 * i.validationAccuracy).toFixed(2)}%, test ${(100 * i.testAccuracy).toFixed(2)}%\n`,
      );
    }
  }
  if (tty) out.write('\r\x1b[2K');
  return run;
}

/** Exit code of a finished run: 0 succeeded, 1 failed, 3 cancelled (2 is a usage error). */
export function exitCodeOf(run: Run): number {
  const state = RUN_STATE_NAMES.name(run.state);
  return state === 'failed' ? 1 : state === 'cancelled' ? 3 : 0;
}

/** Runs `use` with a client of the coordinator; an unreachable coordinator gets an error saying what to do. */
export async function withClient<T>(values: FlagValues, use: (client: CoordinatorClient) => Promise<T>): Promise<T> {
  const address = coordinatorAddress(values);
  const client = new CoordinatorClient(address);
  try {
    return await use(client);
  } catch (error) {
    // UNAVAILABLE (14) from the channel itself; the coordinator's own answers (e.g. that another
    // service did not answer) are passed on as they are.
    const { code, details } = error as { code?: unknown; details?: string };
    if (code !== 14 || !/No connection established|ECONNREFUSED|Name resolution failed/.test(details ?? ''))
      throw error;
    throw new Error(
      `cannot reach the coordinator at ${address}: is it running? Start the whole system on this machine with ` +
        '`npx prune serve`, or a coordinator with `npx nx serve coordinator`; name another with --coordinator host:port ' +
        `or PRUNE_COORDINATOR. (${(error as { details?: string }).details ?? (error as Error).message})`,
    );
  } finally {
    client.close();
  }
}

function runIdArgument(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`usage: prune ${command} <run-id> (see prune ${command} --help)`);
  return positionals[0]!;
}

/**
 * Follows a run to its end, prints its report and sets the exit code from its final state.
 * Ctrl-C leaves the run going on the coordinator and says how to follow or cancel it; with
 * services started for this command (`local`), it stops them: the run is saved and resumes when
 * a coordinator on the same store starts (`npx prune serve`).
 */
async function followToEnd(client: CoordinatorClient, runId: string, local?: LocalSystem): Promise<Run> {
  const interrupted = () => {
    if (!local) {
      console.error(
        `\nrun ${runId} goes on on the coordinator: follow it with \`npx prune watch ${runId}\`, ` +
          `cancel it with \`npx prune cancel ${runId}\``,
      );
      process.exit(130);
    }
    console.error(
      `\nstopping the services started for run ${runId}; its finished steps are saved in ${local.storeRoot}, ` +
        `and \`npx prune serve\` resumes it (then \`npx prune watch ${runId}\`)`,
    );
    void local.stop().then(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  try {
    const run = await followRun(client, runId);
    console.log(formatRunReport(summarizeRun(run)));
    if (run.error) console.error(`run ${runId} failed: ${run.error}`);
    process.exitCode = exitCodeOf(run);
    return run;
  } finally {
    process.removeListener('SIGINT', interrupted);
  }
}

/** Whether a coordinator answers health at `address` (within a second). */
async function answers(address: string): Promise<boolean> {
  return (await checkHealth(address, '', 1000).catch(() => 'unreachable')) === 'SERVING';
}

/**
 * --out must be a new .keras, .h5 or .onnx file or a new or empty folder: a run never overwrites files
 * the user has.
 */
function checkOut(out: string): void {
  const file = modelFileFormatOf(out) !== 'tfjs';
  if (file && !fs.existsSync(path.dirname(path.resolve(out))))
    throw new UsageError(`--out: the folder of ${out} does not exist`);
  if (!fs.existsSync(out)) return;
  if (file) throw new UsageError(`--out: ${out} exists; name a new file`);
  if (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)
    throw new UsageError(`--out: ${out} exists and is not an empty folder; name a new folder`);
}

/**
 * Downloads a run's model to `out` in the format its name asks for: a folder (TF.js layers, as
 * stored), a Keras 3 .keras or .h5 or an ONNX .onnx file (converted by the system). Returns the model's
 * URI and what was written.
 */
async function downloadTo(client: CoordinatorClient, runId: string, out: string, model?: string) {
  const format = modelFileFormatOf(out);
  const written = await client.download(runId, out, { model, format });
  if (!RECORDS_PREPROCESSING[format])
    console.error(
      `note: ${out} records no preprocessing: declare the model's (see prune report ${runId}) when you use it`,
    );
  return written;
}

export async function runCommand(argv: string[]): Promise<void> {
  const { config, runId, detach, local, out, coordinator } = runConfigFromFlags(argv);
  if (out) checkOut(out);
  const startLocal = local || (!coordinator && !(await answers(DEFAULT_COORDINATOR)));
  if (startLocal && detach)
    throw new UsageError(
      '--detach: a run started with its own services stops with them; start them once with `npx prune serve` ' +
        'or name a coordinator with --coordinator host:port',
    );
  let system: LocalSystem | undefined;
  if (startLocal) {
    console.error(
      `${local ? '--local' : `no coordinator configured or running at ${DEFAULT_COORDINATOR}`}: ` +
        'starting the services on this machine for this run (`npx prune serve` keeps them up between runs)',
    );
    const uri = config.model?.uri ?? '';
    const modelFiles = uri.startsWith('store://') ? [] : [uri];
    system = await startLocalSystem({ modelFiles, log: (line) => console.error(line) });
  }
  try {
    await withClient({ coordinator: system?.coordinator ?? coordinator }, async (client) => {
      const run = await client.start(config, runId);
      console.log(`run ${run.id}: ${stateName(run.state)}`);
      if (detach) return;
      const finished = await followToEnd(client, run.id, system);
      if (out && stateName(finished.state) === 'succeeded') {
        const { files } = await downloadTo(client, run.id, out);
        console.error(`pruned model written to ${out} (${files.join(', ')})`);
      }
    });
  } finally {
    await system?.stop();
  }
}

/** `prune serve`: every service on this machine until Ctrl-C or SIGTERM. */
export async function serveCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags(SERVE, argv);
  const address = stringFlag(values, 'address') ?? DEFAULT_COORDINATOR;
  console.log('starting the services:');
  const system = await startLocalSystem({ coordinatorAddress: address, log: console.log });
  console.log(
    `ready: coordinator at ${system.coordinator}, store ${system.storeRoot}. In another terminal:\n` +
      `  npx prune run --model <model> --data cifar10-jpeg --iterations 3${address === DEFAULT_COORDINATOR ? '' : ` --coordinator ${address}`}\n` +
      'Ctrl-C stops every service (unfinished runs resume at the next start).',
  );
  await new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping the services');
  await system.stop();
}

export async function watchCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(WATCH, argv);
  const id = runIdArgument(positionals, 'watch');
  await withClient(values, async (client) => {
    await followToEnd(client, id);
  });
}

export async function listCommand(argv: string[]): Promise<void> {
  const { values } = parseFlags(LIST, argv);
  await withClient(values, async (client) => {
    for (const run of await client.list()) {
      const s = summarizeRun(run);
      const accuracy = `test ${(100 * s.initial.testAccuracy).toFixed(2)}% -> ${(100 * s.final.testAccuracy).toFixed(2)}%`;
      console.log(
        `${run.id.padEnd(28)} ${s.state.padEnd(10)} ${String(run.iterations.length).padStart(3)} it  ` +
          `${(s.decisions || '-').padEnd(12)} MACs -${(100 * s.macsReduction).toFixed(1)}%  ${accuracy}  ` +
          `${path.basename(s.settings.model)} on ${s.settings.dataset}  ${run.createdAt}`,
      );
    }
  });
}

export async function cancelCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(CANCEL, argv);
  const id = runIdArgument(positionals, 'cancel');
  await withClient(values, async (client) => console.log(`run ${id}: ${stateName((await client.cancel(id)).state)}`));
}

export async function reportCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(REPORT, argv);
  const id = runIdArgument(positionals, 'report');
  const html = stringFlag(values, 'html');
  await withClient(values, async (client) => {
    const run = await client.get(id);
    const summary = summarizeRun(run);
    console.log(booleanFlag(values, 'json') ? JSON.stringify(summary, null, 2) : formatRunReport(summary));
    if (html) {
      writeFileAtomic(html, renderRunHtml(summary));
      console.error(`HTML report written to ${html}`);
    }
  });
}

export async function downloadCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(DOWNLOAD, argv);
  const id = runIdArgument(positionals, 'download');
  const out = stringFlag(values, 'out');
  if (!out) throw new UsageError('--out: the folder to write the model to is required');
  checkOut(out);
  await withClient(values, async (client) => {
    const { uri, files } = await downloadTo(client, id, out, stringFlag(values, 'model'));
    console.log(`${uri} written to ${out} (${files.join(', ')})`);
  });
}

/** `prune health <host:port> [--service name]`: exit 0 when the service answers SERVING (image health checks). */
export async function healthCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseFlags(HEALTH, argv);
  if (positionals.length !== 1) throw new UsageError('usage: prune health <host:port> (see prune health --help)');
  const state = await checkHealth(positionals[0]!, stringFlag(values, 'service') ?? '');
  console.log(state);
  if (state !== 'SERVING') process.exitCode = 1;
}
