export { StatusError, failedPrecondition, invalidArgument, notFound, toServiceError, unimplemented } from './errors.js';
export { serverStream, unary } from './handlers.js';
export { listenAddress, serve } from './server.js';
export type { RunningServer, ServeOptions, ServiceBinding } from './server.js';
export { checkHealth } from './health-client.js';
export { probeServiceProcess, spawnServiceProcess } from './process.js';
export type { ServiceProcess } from './process.js';
export { callUnary } from './unary-client.js';
