export { Coordinator, coordinatorBinding, createCoordinatorService } from './service.js';
export type { CoordinatorOptions } from './service.js';
export { grpcWalkPorts } from './grpc-ports.js';
export type { GrpcPortsOptions, WalkServices } from './grpc-ports.js';
export { leastBusy, replicasOf } from './replicas.js';
export type { Replicas } from './replicas.js';
export { validateRunConfig } from './run-config.js';
