export { BudgetError, chooseFilters } from './candidates.js';
export type { FilterBudget, ScoredBlock, ScoredFilter } from './candidates.js';
export { chooseCandidate, greedyWalk } from './greedy-walk.js';
export type { CandidateRecord, Choice, IterationRecord, SelectionPolicy, WalkConfig, WalkEvent, WalkPorts } from './greedy-walk.js';
export type { LayerWidth } from './layer-width.js';
export { isTerminal, RunManager, RunNotFoundError } from './run-manager.js';
export type { PortsFactory, RunContext, RunEvent, RunRecord, RunState } from './run-manager.js';
export { journaledPorts, StepJournal } from './step-journal.js';
