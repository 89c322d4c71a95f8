// The `prune` command line.
import { initBackend } from '@prune/compute';
import { inspectCommand, UsageError } from './inspect.js';
import { cancelCommand, healthCommand, listCommand, reportCommand, runCommand, watchCommand } from './run-commands.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  inspect: async (argv) => {
    await initBackend(undefined, () => {});
    console.log(JSON.stringify(await inspectCommand(argv), null, 2));
  },
  run: runCommand,
  watch: watchCommand,
  list: listCommand,
  cancel: cancelCommand,
  report: reportCommand,
  health: healthCommand,
};

const [command, ...rest] = process.argv.slice(2);
try {
  const run = COMMANDS[command ?? ''];
  if (!run) throw new UsageError(`usage: prune <${Object.keys(COMMANDS).join('|')}> ...`);
  await run(rest);
} catch (error) {
  const e = error as Error & { details?: string };
  console.error(`prune ${command ?? ''}: ${e.details ?? e.message}`);
  const usage = error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  process.exit(usage ? 2 : 1);
}
