export { BudgetError, chooseFilters, makeFilterCandidate, makeLayerCandidate } from './candidates.js';
export type { Candidate, FilterBudget, ScoredBlock, ScoredFilter } from './candidates.js';
export { chooseCandidate, greedyWalk } from './greedy-walk.js';
export type { CandidateRecord, Choice, IterationRecord, SelectionPolicy, WalkConfig, WalkEvent, WalkPorts } from './greedy-walk.js';
export { localWalkPorts } from './local-ports.js';
export type { LocalPortsOptions } from './local-ports.js';
export { isTerminal, RunManager, RunNotFoundError } from './run-manager.js';
export type { PortsFactory, RunContext, RunEvent, RunRecord, RunState } from './run-manager.js';
export { CancelledError, journaledPorts, StepJournal } from './step-journal.js';
