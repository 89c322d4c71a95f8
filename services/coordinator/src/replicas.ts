// Round-robin over a service's replicas: each attempt (including a retry) takes the next one, so
// a retried UNAVAILABLE call goes to another replica. Every client the coordinator holds is one.
import * as grpc from '@grpc/grpc-js';
import { clientConnection } from '@prune/service-kit';

export interface Replicas<C> {
  all: C[];
  pick(): C;
  next<T>(call: (client: C) => Promise<T>): Promise<T>;
  close(): void;
}

export function rotation<C extends { close(): void }>(all: C[], service = 'service'): Replicas<C> {
  if (all.length === 0) throw new Error(`${service}: at least one address is required`);
  let next = 0;
  const pick = () => all[next++ % all.length]!;
  return { all, pick, next: (call) => call(pick()), close: () => all.forEach((client) => client.close()) };
}

type ClientClass<C> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ClientOptions>,
) => C;

/** A generated client of `service` for each address, in rotation (the shared client connection: TLS and token from the environment). */
export function replicasOf<C extends { close(): void }>(
  Client: ClientClass<C>,
  addresses: string[],
  service: string,
): Replicas<C> {
  const connection = clientConnection();
  return rotation(
    addresses.map((address) => new Client(address, connection.credentials, connection.options)),
    service,
  );
}
