export { adversarialAccuracy } from './adversarial.js';
export type { AttackAccuracy, AttackOptions } from './adversarial.js';
export { assessModel, DEFAULT_EPSILONS, DEFAULT_PGD_STEPS } from './assess.js';
export type { Assessment, AssessmentOptions, CorruptionAccuracy } from './assess.js';
export { CORRUPTION_NAMES, corruptImage, SEVERITY_PARAMETERS } from './corruptions.js';
export type { CorruptionName } from './corruptions.js';
export { defaultEnergyAssumptions, estimateEnergy } from './energy.js';
export type { EnergyAssumptions, EnergyEstimate } from './energy.js';
