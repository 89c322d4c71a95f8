// A plug-in's parameter bounds (as libs/errors checks them) and their message form
// (ParameterRange, in Describe and ListCriteria), in one place for the services that declare them
// and the coordinator that checks a run's parameters against them.
import type { ParameterBounds } from '@prune/errors';
import type { ParameterRange } from './gen/prune/v1/common.js';

export function parameterRangeMessages(bounds: Record<string, ParameterBounds> = {}): ParameterRange[] {
  return Object.entries(bounds).map(([name, b]) => ({
    name,
    min: b.min,
    max: b.max,
    minExclusive: b.minExclusive ?? false,
    integer: b.integer ?? false,
  }));
}

export function parameterBoundsOf(ranges: ParameterRange[]): Record<string, ParameterBounds> {
  return Object.fromEntries(ranges.map(({ name, ...bounds }) => [name, bounds]));
}
