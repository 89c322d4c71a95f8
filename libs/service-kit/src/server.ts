// Starts a gRPC service the same way everywhere: health checking (grpc.health.v1), TLS / mutual
// TLS and a bearer token when configured (security.ts), server reflection when asked for, one log
// line per lifecycle event, graceful shutdown on SIGTERM/SIGINT.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { PROTO_ROOT } from '@prune/contracts';
import { ComputeWorker } from './compute-worker.js';
import { defaultSecurity, serverCredentials, serverInterceptors, servesTls, type Security } from './security.js';

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
  /** TLS and token (default: this process's environment, see security.ts). */
  security?: Security;
  /** The largest request a server accepts (default 4 MiB); larger ones get RESOURCE_EXHAUSTED. */
  maxRequestBytes?: number;
  /** Serve gRPC server reflection (default: PRUNE_REFLECTION=1; off otherwise). */
  reflection?: boolean;
  /**
   * A second, plaintext listener that serves only health (default: PRUNE_HEALTH_ADDRESS): what
   * Kubernetes gRPC probes, which speak neither TLS nor tokens, reach when the service port is TLS.
   */
  healthAddress?: string;
}

export interface RunningServer {
  server: grpc.Server;
  port: number;
  address: string;
  health: HealthImplementation;
  /** Marks the services NOT_SERVING, waits for in-flight calls (up to the grace period), stops. */
  shutdown(): Promise<void>;
}

const MAX_REQUEST_BYTES = 4 * 2 ** 20;

export async function serve(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const security = options.security ?? defaultSecurity();
  if (security.ca && !servesTls(security))
    throw new Error(
      'PRUNE_TLS_CA is set but PRUNE_TLS_CERT/PRUNE_TLS_KEY are not: a server needs its own certificate to serve (mutual) TLS',
    );
  const server = new grpc.Server({
    // Requests carry references, never data (models, datasets and matrices travel through the
    // store): 4 MiB is far above any real one, and a larger one is refused before it is parsed.
    'grpc.max_receive_message_length': options.maxRequestBytes ?? MAX_REQUEST_BYTES,
    interceptors: serverInterceptors(security),
  });
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
  if (options.reflection ?? process.env['PRUNE_REFLECTION'] === '1') {
    const packageDefinition = protoLoader.loadSync([...options.protoFiles, healthProtoPath], {
      includeDirs: [PROTO_ROOT],
      keepCase: true,
    });
    new ReflectionService(packageDefinition).addToServer(server);
  }

  const address = await bind(server, options.address, serverCredentials(security));
  const names = options.services.map((s) => s.name).join(', ');
  const secured = servesTls(security) ? (security.ca ? 'mutual TLS' : 'TLS') : 'plaintext';
  log(`[prune] ${names} listening on ${address} (${secured}${security.token ? ', bearer token' : ''})`);
  const healthAddress = options.healthAddress ?? process.env['PRUNE_HEALTH_ADDRESS'];
  let healthServer: grpc.Server | undefined;
  if (healthAddress) {
    healthServer = new grpc.Server();
    health.addToServer(healthServer);
    log(
      `[prune] ${names} health on ${await bind(healthServer, healthAddress, grpc.ServerCredentials.createInsecure())} (plaintext, health only)`,
    );
  }

  const shutdown = () => {
    stopping ??= new Promise<void>((resolve) => {
      setServing(false);
      healthServer?.forceShutdown();
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
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return { server, port, address, health, shutdown };
}

/** Binds `server` to `address` (port 0: a free one); resolves with the bound host:port. */
function bind(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<string> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) =>
      error
        ? reject(new Error(`cannot listen on ${address}: ${error.message}`))
        : resolve(`${address.slice(0, address.lastIndexOf(':'))}:${port}`),
    ),
  );
}

/**
 * Serves one service whose handlers run in a worker thread (`worker`, see ComputeWorker), so
 * this thread stays free for health and progress while it computes.
 */
export async function serveComputeService(
  options: Omit<ServeOptions, 'services' | 'workers'> & {
    definition: grpc.ServiceDefinition;
    worker: URL;
    /** See ComputeWorkerOptions.cancelGraceMs. */
    cancelGraceMs?: number;
  },
): Promise<RunningServer> {
  const worker = await ComputeWorker.start({
    definition: options.definition,
    entry: options.worker,
    log: options.log,
    cancelGraceMs: options.cancelGraceMs,
  });
  try {
    return await serve({ ...options, services: [worker.binding], workers: [worker] });
  } catch (error) {
    await worker.close(); // e.g. the port is taken: no worker is left behind
    throw error;
  }
}

/**
 * The address a service listens on: `--address host:port` on the command line, else the
 * environment variable `envName`, else `<PRUNE_BIND_HOST>:<defaultPort>`, the host being loopback
 * unless set (the image sets 0.0.0.0: inside a container, the pod's network is the boundary).
 */
export function listenAddress(envName: string, defaultPort: number, argv = process.argv, env = process.env): string {
  const flag = argv.indexOf('--address');
  const value = flag >= 0 ? argv[flag + 1] : env[envName];
  const address = value ?? `${env['PRUNE_BIND_HOST'] || '127.0.0.1'}:${defaultPort}`;
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!address.includes(':') || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag >= 0 ? '--address' : envName}: expected host:port, got "${address}"`);
  }
  return address;
}
