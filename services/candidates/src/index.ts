export { createCandidatesService, candidatesBinding } from './service.js';
