export { createCriterionService, criterionBinding } from './service.js';
