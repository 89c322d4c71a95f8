export { CriterionInputError, DEFAULT_CALIBRATION_EXAMPLES } from './criterion.js';
export type { BlockScore, Criterion, FilterScore, ScoringContext, StructureScore } from './criterion.js';
export { GraphRunner } from './graph-runner.js';
export type { Replacement, Replacements } from './graph-runner.js';
export { klCriterion, klScores } from './kl.js';
export type { KlOptions } from './kl.js';
export { l1Criterion } from './l1.js';
export { randomCriterion } from './random.js';
export { criteria, criterionByName, criterionParameters, registerCriterion } from './registry.js';
