export { BudgetError, chooseFilters } from './candidates.js';
export type { FilterBudget, ScoredBlock, ScoredFilter } from './candidates.js';
export { costOf } from './cost.js';
export type { ModelCost } from './cost.js';
export { FINE_TUNE_STEPS } from './fine-tune-steps.js';
export { chooseCandidate, greedyWalk } from './greedy-walk.js';
export type {
  CandidateRecord,
  Choice,
  FineTunePhase,
  FineTuned,
  IterationRecord,
  SelectionPolicy,
  WalkConfig,
  WalkEvent,
  WalkPhase,
  WalkPorts,
} from './greedy-walk.js';
export type { LayerWidth } from './layer-width.js';
export { isTerminal, RunManager, RunNotFoundError } from './run-manager.js';
export type { PortsFactory, RunContext, RunEvent, RunRecord, RunState } from './run-manager.js';
export { journaledPorts, StepJournal } from './step-journal.js';
export { RUN_DEFAULTS } from './run-defaults.js';
export { epochsOf, experimentSeconds, iterationSeconds, stepsOf } from './walk-budget.js';
export type { IterationSeconds, Throughput, WalkShape } from './walk-budget.js';
