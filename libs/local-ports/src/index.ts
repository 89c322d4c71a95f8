export { makeFilterCandidate, makeLayerCandidate } from './candidates.js';
export type { Candidate } from './candidates.js';
export { inspectModel } from './inspect-model.js';
export type { ModelFacts } from './inspect-model.js';
export { localWalkPorts } from './local-ports.js';
export type { LocalPortsOptions } from './local-ports.js';
