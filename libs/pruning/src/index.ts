export { BudgetError, chooseFilters, makeFilterCandidate, makeLayerCandidate } from './candidates.js';
export type { Candidate, FilterBudget, ScoredBlock, ScoredFilter } from './candidates.js';
