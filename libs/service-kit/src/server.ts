// Starts a gRPC service the same way everywhere: health checking (grpc.health.v1), server
// reflection, one log line per lifecycle event, graceful shutdown on SIGTERM/SIGINT.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { PROTO_ROOT } from '@prune/contracts';
import { ComputeWorker } from './compute-worker.js';

export interface ServiceBinding {
  /** Fully qualified service name, e.g. "prune.v1.TrainerService" (health and reflection). */
  name: string;
  definition: grpc.ServiceDefinition;
  implementation: grpc.UntypedServiceImplementation;
}

export interface ServeOptions {
  /** host:port to listen on; port 0 picks a free port. */
  address: string;
  services: ServiceBinding[];
  /** .proto files (relative to proto/) that define the services, for reflection. */
  protoFiles: string[];
  log?: (line: string) => void;
  /** Seconds to wait for in-flight calls on shutdown before cancelling them. */
  shutdownGraceSeconds?: number;
  /** Install SIGTERM/SIGINT handlers (true for processes, false in tests). */
  handleSignals?: boolean;
  /**
   * Workers computing for these services: health follows them (NOT_SERVING while one is being
   * replaced) and shutdown stops them after the last call.
   */
  workers?: ComputeWorker[];
}

export interface RunningServer {
  server: grpc.Server;
  port: number;
  address: string;
  health: HealthImplementation;
  /** Marks the services NOT_SERVING, waits for in-flight calls (up to the grace period), stops. */
  shutdown(): Promise<void>;
}

export async function serve(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const health = new HealthImplementation({ '': 'SERVING' });
  for (const service of options.services) {
    server.addService(service.definition, service.implementation);
    health.setStatus(service.name, 'SERVING');
  }
  health.addToServer(server);
  let stopping: Promise<void> | undefined;
  const setServing = (serving: boolean) => {
    for (const name of ['', ...options.services.map((s) => s.name)]) {
      health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
    }
  };
  const workers = options.workers ?? [];
  for (const worker of workers) {
    worker.onServingChange(() => setServing(!stopping && workers.every((w) => w.serving)));
  }
  const packageDefinition = protoLoader.loadSync([...options.protoFiles, healthProtoPath], {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
  });
  new ReflectionService(packageDefinition).addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.address, grpc.ServerCredentials.createInsecure(), (error, boundPort) =>
      error ? reject(new Error(`cannot listen on ${options.address}: ${error.message}`)) : resolve(boundPort),
    ),
  );
  const host = options.address.slice(0, options.address.lastIndexOf(':'));
  const address = `${host}:${port}`;
  const names = options.services.map((s) => s.name).join(', ');
  log(`[prune] ${names} listening on ${address}`);

  const shutdown = () => {
    stopping ??= new Promise<void>((resolve) => {
      setServing(false);
      const stopWorkers = () => void Promise.all(workers.map((w) => w.close())).then(() => resolve());
      const grace = setTimeout(
        () => {
          log(`[prune] ${names}: grace period over, cancelling in-flight calls`);
          server.forceShutdown();
          stopWorkers();
        },
        (options.shutdownGraceSeconds ?? 30) * 1000,
      );
      grace.unref();
      server.tryShutdown(() => {
        clearTimeout(grace);
        log(`[prune] ${names} stopped`);
        stopWorkers();
      });
    });
    return stopping;
  };
  if (options.handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        log(`[prune] ${signal}: shutting down ${names}`);
        void shutdown().then(() => process.exit(0));
      });
    }
  }
  return { server, port, address, health, shutdown };
}

/**
 * Serves one service whose handlers run in a worker thread (`worker`, see ComputeWorker), so
 * this thread stays free for health and progress while it computes.
 */
export async function serveComputeService(
  options: Omit<ServeOptions, 'services' | 'workers'> & { definition: grpc.ServiceDefinition; worker: URL },
): Promise<RunningServer> {
  const worker = await ComputeWorker.start({ definition: options.definition, entry: options.worker, log: options.log });
  return serve({ ...options, services: [worker.binding], workers: [worker] });
}

/**
 * The address a service listens on: `--address host:port` on the command line, else the
 * environment variable `envName`, else `0.0.0.0:<defaultPort>`.
 */
export function listenAddress(envName: string, defaultPort: number, argv = process.argv, env = process.env): string {
  const flag = argv.indexOf('--address');
  const value = flag >= 0 ? argv[flag + 1] : env[envName];
  const address = value ?? `0.0.0.0:${defaultPort}`;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!address.includes(':') || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag >= 0 ? '--address' : envName}: expected host:port, got "${address}"`);
  }
  return address;
}
