export { compareStoredRepresentations, describeMetrics } from './compare.js';
export { createSimilarityService, similarityServiceBinding } from './service.js';
