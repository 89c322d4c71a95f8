// Each command declares its flags once (command-specs.ts): parsing, --help, defaults shown to
// the user and suggestions for misspelled flags all come from that one declaration.
import { parseArgs } from 'node:util';
import { HelpRequested, UsageError } from './usage-error.js';

export interface FlagSpec {
  type: 'string' | 'boolean';
  /** What the flag does, for --help. */
  description: string;
  /** The value's placeholder in --help ("N", "host:port"). */
  value?: string;
  /** What applies when the flag is absent, for --help. */
  default?: string;
  multiple?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Positional arguments, e.g. "<run-id>"; absent when the command takes none. */
  arguments?: string;
  flags: Record<string, FlagSpec>;
  examples: string[];
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** Parses `argv` by `spec`; `--help` anywhere throws HelpRequested with the command's help. */
export function parseFlags(spec: CommandSpec, argv: string[]): { values: FlagValues; positionals: string[] } {
  if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequested(commandHelp(spec));
  const unknown = argv.find((arg) => arg.startsWith('--') && !(arg.slice(2).split('=')[0]! in spec.flags));
  if (unknown) {
    const name = unknown.slice(2).split('=')[0]!;
    const guess = closest(name, Object.keys(spec.flags));
    throw new UsageError(
      `unknown flag --${name}${guess ? `; did you mean --${guess}?` : ''} (see prune ${spec.name} --help)`,
    );
  }
  const options = Object.fromEntries(
    Object.entries(spec.flags).map(([name, flag]) => [name, { type: flag.type, multiple: flag.multiple ?? false }]),
  );
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: spec.arguments !== undefined });
    return { values: parsed.values as FlagValues, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('. ')[0]} (see prune ${spec.name} --help)`);
  }
}

/** The flag value as a string, or undefined when absent. */
export const stringFlag = (values: FlagValues, name: string) => values[name] as string | undefined;

/** Every value of a repeatable flag. */
export const stringsFlag = (values: FlagValues, name: string) => (values[name] as string[] | undefined) ?? [];

export const booleanFlag = (values: FlagValues, name: string) => values[name] === true;

/** A non-negative number flag; undefined when not given. */
export function numberFlag(values: FlagValues, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    throw new UsageError(`--${name}: expected a non-negative number, got "${String(raw)}"`);
  return value;
}

export function commandHelp(spec: CommandSpec): string {
  const rows = Object.entries(spec.flags).map(([name, flag]) => {
    const left = `  --${name}${flag.type === 'string' ? ` <${flag.value ?? 'value'}>` : ''}${flag.multiple ? ' ...' : ''}`;
    const right = `${flag.description}${flag.default !== undefined ? ` (default: ${flag.default})` : ''}`;
    return left.length < 34 ? `${left.padEnd(34)}${right}` : `${left}\n${' '.repeat(34)}${right}`;
  });
  return [
    `prune ${spec.name}: ${spec.summary}`,
    '',
    `usage: prune ${spec.name}${spec.arguments ? ` ${spec.arguments}` : ''}${rows.length ? ' [flags]' : ''}`,
    ...(rows.length ? ['', 'flags:', ...rows] : []),
    '',
    'examples:',
    ...spec.examples.map((e) => `  ${e}`),
  ].join('\n');
}

/** The known name nearest to `name` (edit distance at most 3, or a prefix), if any. */
export function closest(name: string, known: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = candidate.startsWith(name) || name.startsWith(candidate) ? 1 : editDistance(name, candidate);
    if (distance <= 3 && (!best || distance < best.distance)) best = { name: candidate, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
