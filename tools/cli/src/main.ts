// The `prune` command line.
import { initBackend } from '@prune/compute';
import { inspectCommand, UsageError } from './inspect.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<object>> = {
  inspect: inspectCommand,
};

const [command, ...rest] = process.argv.slice(2);
try {
  const run = COMMANDS[command ?? ''];
  if (!run) throw new UsageError(`usage: prune <${Object.keys(COMMANDS).join('|')}> ...`);
  await initBackend(undefined, () => {});
  console.log(JSON.stringify(await run(rest), null, 2));
} catch (error) {
  console.error(`prune ${command ?? ''}: ${(error as Error).message}`);
  process.exit(error instanceof UsageError ? 2 : 1);
}
