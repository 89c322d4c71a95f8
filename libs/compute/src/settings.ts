// Settings read from the environment (PRUNE_THREADS, PRUNE_EVAL_REPLICAS, PRUNE_GRAPHS): one
// parser per kind, so every such setting accepts the same forms and refuses a bad value with the
// same kind of message.

/** A bad value of an environment setting; its message names the setting, the range and the meaning. */
export class SettingError extends Error {
  override name = 'SettingError';
}

export interface WholeNumberSetting {
  /** The environment variable, for messages. */
  name: string;
  /** The largest value allowed (default: no limit). */
  max?: number;
  /** What the number counts and what unset means, for messages: "threads per process; unset for one per core". */
  meaning: string;
}

/** The setting's value from 1 to `max`, or undefined when unset or blank; anything else throws a SettingError. */
export function wholeNumberSetting(value: string | undefined, setting: WholeNumberSetting): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const number = Number(value);
  const max = setting.max ?? Infinity;
  if (!Number.isInteger(number) || number < 1 || number > max) {
    const range = Number.isFinite(max) ? `a whole number from 1 to ${max}` : 'a positive whole number';
    throw new SettingError(`${setting.name}="${value}": must be ${range} (${setting.meaning})`);
  }
  return number;
}

/**
 * PRUNE_THREADS: threads per process for TensorFlow's intra-op pool (and inter-op, which on
 * this workload only competes with it); undefined when unset (TensorFlow's default: one per core).
 */
export function threadsSetting(env: NodeJS.ProcessEnv = process.env): number | undefined {
  return wholeNumberSetting(env['PRUNE_THREADS'], {
    name: 'PRUNE_THREADS',
    meaning: 'threads per process; unset for one per core',
  });
}

/**
 * PRUNE_GRAPHS: `on` (default) runs training steps and forward passes as TensorFlow graphs on
 * native TensorFlow (compiled-step.ts), `off` runs them op by op (to compare the two, or to rule
 * the graphs out).
 */
export function graphsSetting(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env['PRUNE_GRAPHS']?.trim() ?? '';
  if (value === '' || value === 'on') return true;
  if (value === 'off') return false;
  throw new SettingError(
    `PRUNE_GRAPHS="${env['PRUNE_GRAPHS']}": must be on or off (training steps and forward passes as TensorFlow graphs; unset for on)`,
  );
}
