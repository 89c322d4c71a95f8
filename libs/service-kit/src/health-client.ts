// A grpc.health.v1 client: used by tests, readiness checks and the coordinator.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath } from 'grpc-health-check';
import { channelCredentials, defaultSecurity, type Security } from './security.js';

type HealthClient = grpc.Client & {
  check(
    request: { service: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, response?: { status: string }) => void,
  ): void;
};

let HealthClientCtor: (new (address: string, credentials: grpc.ChannelCredentials) => HealthClient) | undefined;

/** Asks `address` for the serving status of `service` ('' = the whole server); health needs no token. */
export async function checkHealth(
  address: string,
  service = '',
  deadlineMs = 5000,
  security: Security = defaultSecurity(),
): Promise<string> {
  if (!HealthClientCtor) {
    const definition = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, { keepCase: true, enums: String }));
    HealthClientCtor = (definition['grpc'] as never as { health: { v1: { Health: typeof HealthClientCtor } } }).health
      .v1.Health;
  }
  const client = new HealthClientCtor!(address, channelCredentials(security));
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + deadlineMs }, (error, response) =>
        error ? reject(error) : resolve(response!.status),
      ),
    );
  } finally {
    client.close();
  }
}

export interface HealthProbe {
  /** Stops polling; resolves with every answer so far (latency in ms, or the error). */
  stop(): Promise<{ ms: number; status: string }[]>;
}

/**
 * Asks `address` for `service`'s health every `intervalMs` until stopped: how tests show that
 * a service answers health while it computes.
 */
export function pollHealth(address: string, service = '', intervalMs = 100): HealthProbe {
  const answers: { ms: number; status: string }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      const status = await checkHealth(address, service).catch((error: Error) => `error: ${error.message}`);
      answers.push({ ms: performance.now() - started, status });
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return answers;
    },
  };
}
