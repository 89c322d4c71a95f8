// The criteria a criterion service offers, by name. A new criterion is one file implementing
// Criterion plus one registerCriterion call; services and tools list and look them up here.
import { quoted, resolveParameters } from '@prune/errors';
import { CriterionInputError, type Criterion } from './criterion.js';
import { klCriterion } from './kl.js';
import { l1Criterion } from './l1.js';
import { randomCriterion } from './random.js';

const registered = new Map<string, Criterion>([klCriterion, l1Criterion, randomCriterion].map((c) => [c.name, c]));

export function registerCriterion(criterion: Criterion): void {
  if (registered.has(criterion.name)) throw new Error(`a criterion named ${criterion.name} is already registered`);
  registered.set(criterion.name, criterion);
}

export function criteria(): Criterion[] {
  return [...registered.values()];
}

export function criterionByName(name: string): Criterion {
  const criterion = registered.get(name);
  if (!criterion)
    throw new CriterionInputError(
      `criterion: unknown ${quoted(name)}; available: ${[...registered.keys()].join(', ')}`,
    );
  return criterion;
}

/** A request's parameters for `criterion`, checked (unknown names, non-finite values) with defaults filled. */
export function criterionParameters(criterion: Criterion, given: Record<string, number> = {}): Record<string, number> {
  return resolveParameters(criterion.name, criterion.parameters ?? {}, given, 'parameters', criterion.bounds);
}
