export { createCandidatesService, candidatesBinding } from './service.js';
export { candidatesOptionsFromEnv } from './options.js';
export type { CandidatesOptions } from './options.js';
