// Round-robin over a service's replicas: each attempt (including a retry) takes the next one, so
// a retried UNAVAILABLE call goes to another replica.
export interface Replicas<C> {
  all: C[];
  pick(): C;
  next<T>(call: (client: C) => Promise<T>): Promise<T>;
}

export function rotation<C>(all: C[], service = 'service'): Replicas<C> {
  if (all.length === 0) throw new Error(`${service}: at least one address is required`);
  let next = 0;
  const pick = () => all[next++ % all.length]!;
  return { all, pick, next: (call) => call(pick()) };
}
