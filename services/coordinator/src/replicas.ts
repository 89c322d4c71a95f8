// Load balancing over a service's replicas, in one place: each call goes to the replica with the
// fewest calls of this coordinator in flight, ties to the next in turn, passing over one that just
// answered UNAVAILABLE (so a retry goes elsewhere). The coordinator holds one set per service for
// all its runs: two runs side by side fine-tune on two trainers instead of both on the first.
import * as grpc from '@grpc/grpc-js';
import { clientConnection } from '@prune/service-kit';

/** How long a replica that answered UNAVAILABLE is passed over while another can take calls. */
const PASS_OVER_MS = 10_000;

export interface Replicas<C> {
  /** Runs `call` on the least busy replica; it counts as busy until the promise settles. */
  next<T>(call: (client: C) => Promise<T>): Promise<T>;
  close(): void;
}

export function leastBusy<C extends { close(): void }>(all: C[], service = 'service'): Replicas<C> {
  if (all.length === 0) throw new Error(`${service}: at least one address is required`);
  const inFlight = all.map(() => 0);
  const passedOverUntil = all.map(() => 0);
  let turn = 0;
  const pick = () => {
    const now = Date.now();
    const load = (i: number) => (passedOverUntil[i]! > now ? Infinity : inFlight[i]!);
    let best = turn % all.length;
    for (let k = 1; k < all.length; k++) {
      const i = (turn + k) % all.length;
      if (load(i) < load(best)) best = i;
    }
    turn = best + 1;
    return best;
  };
  return {
    next: async (call) => {
      const i = pick();
      const started = Date.now();
      inFlight[i]!++;
      try {
        const result = await call(all[i]!);
        // An answer clears a pass-over marked before this call began, not one a later call earned.
        if (passedOverUntil[i]! - PASS_OVER_MS < started) passedOverUntil[i] = 0;
        return result;
      } catch (error) {
        if ((error as { code?: unknown }).code === grpc.status.UNAVAILABLE)
          passedOverUntil[i] = Date.now() + PASS_OVER_MS;
        throw error;
      } finally {
        inFlight[i]!--;
      }
    },
    close: () => all.forEach((client) => client.close()),
  };
}

type ClientClass<C> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ClientOptions>,
) => C;

/** A generated client of `service` for each address, balanced (the shared client connection: TLS and token from the environment). */
export function replicasOf<C extends { close(): void }>(
  Client: ClientClass<C>,
  addresses: string[],
  service: string,
): Replicas<C> {
  const connection = clientConnection();
  return leastBusy(
    addresses.map((address) => new Client(address, connection.credentials, connection.options)),
    service,
  );
}
