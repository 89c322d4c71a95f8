export { CoordinatorClient } from './coordinator-client.js';
export type { RunConfigInput } from './coordinator-client.js';
