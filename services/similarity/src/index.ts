export { createSimilarityService, similarityBinding } from './service.js';
