import { describe, expect, it } from 'vitest';
import { AsyncCache } from '../src/async-cache.js';

describe('AsyncCache', () => {
  it('forgets the least recently used beyond its capacity', async () => {
    const cache = new AsyncCache<number[]>(2);
    let computed = 0;
    const compute = async () => (computed++, []);
    await cache.get('a', compute);
    await cache.get('b', compute);
    await cache.get('a', compute); // a is now the most recent
    await cache.get('c', compute); // evicts b
    await cache.get('a', compute);
    await cache.get('b', compute);
    expect(computed).toBe(4);
  });

  it('shares a computation in flight, does not keep a failure, never caches an undefined key', async () => {
    const cache = new AsyncCache<number>();
    let computed = 0;
    let fail = true;
    const compute = async () => {
      computed++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (fail) throw new Error('boom');
      return 7;
    };
    await expect(Promise.all([cache.get('k', compute), cache.get('k', compute)])).rejects.toThrow('boom');
    expect(computed).toBe(1);
    fail = false;
    expect(await cache.get('k', compute)).toBe(7);
    expect(await cache.get('k', compute)).toBe(7);
    expect(computed).toBe(2);
    await cache.get(undefined, compute);
    await cache.get(undefined, compute);
    expect(computed).toBe(4);
  });
});
