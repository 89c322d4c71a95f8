export { createProcrustesSimilarityService, procrustesBinding } from './service.js';
