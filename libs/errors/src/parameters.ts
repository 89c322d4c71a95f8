// Numeric parameters of a plug-in (a similarity metric, a pruning criterion): each declares its
// names with defaults, and a request's values are checked here, in one place, for all of them.
import { InvalidArgumentError } from './domain-error.js';

/**
 * `given` checked against the `declared` defaults of plug-in `owner` (unknown names and
 * non-finite values are refused, naming the parameter as `<field>.<name>`), with the defaults
 * filled in.
 */
export function resolveParameters(
  owner: string,
  declared: Record<string, number>,
  given: Record<string, number> = {},
  field = 'parameters',
): Record<string, number> {
  const names = Object.keys(declared);
  for (const [name, value] of Object.entries(given)) {
    if (!(name in declared)) {
      throw new InvalidArgumentError(
        `${field}.${name}: ${owner} has ${names.length ? `parameters ${names.join(', ')}` : 'no parameters'}`,
      );
    }
    if (!Number.isFinite(value))
      throw new InvalidArgumentError(`${field}.${name}: must be a finite number, got ${value}`);
  }
  return { ...declared, ...given };
}
