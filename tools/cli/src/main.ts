// The `prune` command line. Exit codes: 0 done (or help shown), 1 an error or a failed run,
// 2 a usage error, 3 a cancelled run, 130 interrupted (the run goes on on the coordinator).
import { initBackend } from '@prune/compute';
import { COMMAND_SPECS } from './command-specs.js';
import { assessCommand } from './assess.js';
import { exportCommand } from './export.js';
import { gcCommand } from './gc.js';
import { closest, commandHelp, type CommandSpec } from './flags.js';
import { inspectCommand } from './inspect.js';
import {
  cancelCommand,
  downloadCommand,
  healthCommand,
  listCommand,
  reportCommand,
  runCommand,
  serveCommand,
  watchCommand,
} from './run-commands.js';
import { HelpRequested, UsageError } from './usage-error.js';

/** A command that computes here: the TF.js backend first, then what it prints. */
const computing =
  (run: (argv: string[]) => Promise<string>) =>
  async (argv: string[]): Promise<void> => {
    await initBackend(undefined, () => {});
    console.log(await run(argv));
  };

const HANDLERS: Record<string, (argv: string[]) => Promise<void>> = {
  inspect: computing(async (argv) => JSON.stringify(await inspectCommand(argv), null, 2)),
  export: computing(async (argv) => `wrote ${await exportCommand(argv)}`),
  assess: computing(assessCommand),
  run: runCommand,
  serve: serveCommand,
  watch: watchCommand,
  list: listCommand,
  cancel: cancelCommand,
  report: reportCommand,
  download: downloadCommand,
  gc: gcCommand,
  health: healthCommand,
};

const COMMANDS: [CommandSpec, (argv: string[]) => Promise<void>][] = COMMAND_SPECS.map((spec) => {
  const handler = HANDLERS[spec.name];
  if (!handler) throw new Error(`prune: the command ${spec.name} has no handler`);
  return [spec, handler];
});

function toolHelp(): string {
  return [
    'prune: prune a trained network by removing layers and filters, keeping what stays most similar to it',
    '',
    'usage: prune <command> [arguments] [flags]      prune <command> --help: its flags, defaults and examples',
    '',
    'commands:',
    ...COMMANDS.map(([spec]) => `  ${spec.name.padEnd(10)}${spec.summary}`),
    '',
    'exit codes: 0 done, 1 error or failed run, 2 usage error, 3 cancelled run, 130 interrupted',
    'the whole system on this machine, pruning the shared ResNet-20: npm run demo',
  ].join('\n');
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    const asked = COMMANDS.find(([spec]) => spec.name === rest[0]); // `prune help run`
    console.log(asked ? commandHelp(asked[0]) : toolHelp());
    process.exit(command === undefined ? 2 : 0);
  }
  const entry = COMMANDS.find(([spec]) => spec.name === command);
  if (!entry) {
    const guess = closest(
      command,
      COMMANDS.map(([spec]) => spec.name),
    );
    throw new UsageError(`unknown command "${command}"${guess ? `; did you mean ${guess}?` : ''} (see prune --help)`);
  }
  await entry[1](rest);
} catch (error) {
  if (error instanceof HelpRequested) {
    console.log(error.message);
    process.exit(0);
  }
  const e = error as Error & { details?: string };
  console.error(`prune ${command ?? ''}: ${e.details ?? e.message}`);
  process.exit(error instanceof UsageError ? 2 : 1);
}
