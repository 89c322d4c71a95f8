export { CriterionInputError } from './criterion.js';
export type { BlockScore, Criterion, FilterScore, ScoringContext, StructureScore } from './criterion.js';
export { GraphRunner } from './graph-runner.js';
export type { Replacements } from './graph-runner.js';
export { klCriterion, klScores } from './kl.js';
export type { KlOptions } from './kl.js';
export { l1Criterion } from './l1.js';
export { randomCriterion } from './random.js';
import { klCriterion } from './kl.js';
import { l1Criterion } from './l1.js';
import { randomCriterion } from './random.js';
import type { Criterion } from './criterion.js';
import { CriterionInputError } from './criterion.js';

export const CRITERIA: readonly Criterion[] = [klCriterion, l1Criterion, randomCriterion];

export function criterionByName(name: string): Criterion {
  const criterion = CRITERIA.find((c) => c.name === name);
  if (!criterion) throw new CriterionInputError(`criterion: unknown "${name}"; available: ${CRITERIA.map((c) => c.name).join(', ')}`);
  return criterion;
}
