export { Coordinator, coordinatorBinding, createCoordinatorService } from './service.js';
export type { CoordinatorOptions } from './service.js';
export { grpcWalkPorts } from './grpc-ports.js';
export { validateRunConfig } from './run-config.js';
