// Every client the coordinator holds balances over its service's replicas the same way.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { status } from '@grpc/grpc-js';
import { leastBusy } from '../src/replicas.js';

const client = (name: string, closed: string[] = []) => ({ name, close: () => closed.push(name) });

/** A call that stays in flight until `finish` is called. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return { done, finish: () => finish() };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('leastBusy', () => {
  it('sends calls made side by side to different replicas, and a later one to the first that is free', async () => {
    const replicas = leastBusy([client('a'), client('b')], 'trainer');
    const used: string[] = [];
    const first = held();
    const second = held();
    const a = replicas.next(async (c) => (used.push(c.name), first.done));
    const b = replicas.next(async (c) => (used.push(c.name), second.done));
    second.finish();
    await b;
    // a is still busy: the next call goes to b, although a would be next in turn
    await replicas.next(async (c) => void used.push(c.name));
    first.finish();
    await a;
    // both free: in turn again
    await replicas.next(async (c) => void used.push(c.name));
    await replicas.next(async (c) => void used.push(c.name));
    expect(used).toEqual(['a', 'b', 'b', 'a', 'b']);
  });

  it('sends the retry of a call that found its replica UNAVAILABLE to another, even a busy one', async () => {
    const replicas = leastBusy([client('a'), client('b')], 'trainer');
    const busy = held();
    const onA = replicas.next(async (c) => (expect(c.name).toBe('a'), busy.done));
    const used: string[] = [];
    const unavailable = Object.assign(new Error('connection refused'), { code: status.UNAVAILABLE });
    await expect(replicas.next(async (c) => (used.push(c.name), Promise.reject(unavailable)))).rejects.toBe(
      unavailable,
    );
    // b is passed over, a is busy: the retry goes to a
    await replicas.next(async (c) => void used.push(c.name));
    busy.finish();
    await onA;
    // and so does the next call, while b is passed over
    await replicas.next(async (c) => void used.push(c.name));
    expect(used).toEqual(['b', 'a', 'a']);
  });

  it('takes a passed-over replica back after 10 s, or when a call made after its failure succeeds', async () => {
    vi.useFakeTimers();
    const replicas = leastBusy([client('a'), client('b')], 'trainer');
    const used: string[] = [];
    const unavailable = Object.assign(new Error('connection refused'), { code: status.UNAVAILABLE });
    const onA = held();
    const early = held();
    const calls = [
      replicas.next(async (c) => (used.push(c.name), onA.done)),
      replicas.next(async (c) => (used.push(c.name), early.done)),
      replicas.next(async (c) => (used.push(c.name), onA.done)),
    ];
    // b's second call fails; its first, begun before that, then succeeds: b stays passed over
    await expect(replicas.next(async (c) => (used.push(c.name), Promise.reject(unavailable)))).rejects.toBe(
      unavailable,
    );
    early.finish();
    onA.finish();
    await Promise.all(calls);
    const call = () => replicas.next(async (c) => void used.push(c.name));
    await call();
    await call();
    vi.advanceTimersByTime(10_001);
    await call();
    await call();
    expect(used).toEqual(['a', 'b', 'a', 'b', 'a', 'a', 'b', 'a']);
  });

  it('uses a single replica whatever it answered', async () => {
    const single = leastBusy([client('only')], 'criterion');
    const unavailable = Object.assign(new Error('connection refused'), { code: status.UNAVAILABLE });
    await expect(single.next(() => Promise.reject(unavailable))).rejects.toBe(unavailable);
    expect(await single.next(async (c) => c.name)).toBe('only');
  });

  it('keeps a replica in turn after another failure (a bad request says nothing about the replica)', async () => {
    const replicas = leastBusy([client('a'), client('b')], 'trainer');
    const used: string[] = [];
    const invalid = Object.assign(new Error('bad request'), { code: status.INVALID_ARGUMENT });
    await expect(replicas.next(async (c) => (used.push(c.name), Promise.reject(invalid)))).rejects.toBe(invalid);
    for (let i = 0; i < 3; i++) await replicas.next(async (c) => void used.push(c.name));
    expect(used).toEqual(['a', 'b', 'a', 'b']);
  });

  it('closes every replica, and refuses a service without an address, naming it', () => {
    const closed: string[] = [];
    leastBusy([client('a', closed), client('b', closed), client('c', closed)]).close();
    expect(closed).toEqual(['a', 'b', 'c']);
    expect(() => leastBusy([], 'criterion')).toThrow('criterion: at least one address is required');
  });
});
