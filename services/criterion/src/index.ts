export { createCriterionService, criterionBinding } from './service.js';
export { scoreCacheKey } from './score-cache.js';
