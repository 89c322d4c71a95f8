// Numeric parameters of a plug-in (a similarity metric, a pruning criterion): each declares its
// names with defaults, and a request's values are checked here, in one place, for all of them.
import { InvalidArgumentError } from './domain-error.js';

/** The values a numeric parameter accepts: bounds inclusive unless `minExclusive`. */
export interface ParameterBounds {
  min?: number;
  max?: number;
  minExclusive?: boolean;
  integer?: boolean;
}

/** "a whole number >= 4", "a number > 0", "a number from 0 to 2". */
export function describeBounds(b: ParameterBounds): string {
  const kind = b.integer ? 'a whole number' : 'a number';
  if (b.min !== undefined && b.max !== undefined)
    return b.minExclusive ? `${kind} above ${b.min} and at most ${b.max}` : `${kind} from ${b.min} to ${b.max}`;
  if (b.min !== undefined) return `${kind} ${b.minExclusive ? '>' : '>='} ${b.min}`;
  if (b.max !== undefined) return `${kind} <= ${b.max}`;
  return kind;
}

function withinBounds(value: number, b: ParameterBounds): boolean {
  if (b.integer && !Number.isInteger(value)) return false;
  if (b.min !== undefined && (b.minExclusive ? value <= b.min : value < b.min)) return false;
  return b.max === undefined || value <= b.max;
}

/**
 * `given` checked against the `declared` defaults of plug-in `owner` (unknown names, non-finite
 * values and values outside the parameter's `bounds` are refused, naming the parameter as
 * `<field>.<name>`), with the defaults filled in.
 */
export function resolveParameters(
  owner: string,
  declared: Record<string, number>,
  given: Record<string, number> = {},
  field = 'parameters',
  bounds: Record<string, ParameterBounds> = {},
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
    const range = bounds[name];
    if (range && !withinBounds(value, range))
      throw new InvalidArgumentError(`${field}.${name}: ${owner} takes ${describeBounds(range)}, got ${value}`);
  }
  return { ...declared, ...given };
}
