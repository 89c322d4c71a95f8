export { StatusError, failedPrecondition, invalidArgument, notFound, toServiceError, unimplemented } from './errors.js';
export { serverStream, unary } from './handlers.js';
export { listenAddress, serve, serveComputeService } from './server.js';
export type { RunningServer, ServeOptions, ServiceBinding } from './server.js';
export { checkHealth, pollHealth } from './health-client.js';
export type { HealthProbe } from './health-client.js';
export { cpuSecondsOf, probeServiceProcess, spawnServiceProcess } from './process.js';
export { startLocalServices, threadsPerService } from './local-services.js';
export type { LocalServices, LocalServicesOptions } from './local-services.js';
export type { ServiceProcess } from './process.js';
export { callUnary } from './unary-client.js';
export { CLIENT_OPTIONS, clientConnection, isServiceAddress, parseAddressList } from './addresses.js';
export {
  channelCredentials,
  clientInterceptors,
  defaultSecurity,
  securityFromEnv,
  serverCredentials,
  serverInterceptors,
} from './security.js';
export type { Security } from './security.js';
export { AsyncCache } from './async-cache.js';
export { withRetry } from './retry.js';
export type { RetryOptions } from './retry.js';
export { ComputeWorker, serviceNameOf } from './compute-worker.js';
export type { ComputeWorkerOptions } from './compute-worker.js';
export { startWorker } from './start-worker.js';
export { hostInWorker } from './worker-host.js';
export type { WorkerHostOptions } from './worker-host.js';
export { makeTestCertificates } from './test-certificates.js';
export type { TestCertificates } from './test-certificates.js';
export { pythonEnvironment } from './python-venv.js';
