export { createCriterionService, criterionBinding } from './service.js';
export { ScoreCache } from './score-cache.js';
