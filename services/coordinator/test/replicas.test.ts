// Every client the coordinator holds rotates over its service's replicas the same way.
import { describe, expect, it } from 'vitest';
import { rotation } from '../src/replicas.js';

const client = (name: string, closed: string[]) => ({ name, close: () => closed.push(name) });

describe('rotation', () => {
  it('gives each call, a retry included, the next replica, and closes them all', async () => {
    const closed: string[] = [];
    const replicas = rotation([client('a', closed), client('b', closed), client('c', closed)], 'trainer');
    const order = [];
    for (let i = 0; i < 4; i++) order.push(await replicas.next(async (c) => c.name));
    expect([...order, replicas.pick().name]).toEqual(['a', 'b', 'c', 'a', 'b']);
    replicas.close();
    expect(closed).toEqual(['a', 'b', 'c']);
  });

  it('refuses a service without an address, naming it', () => {
    expect(() => rotation([], 'criterion')).toThrow('criterion: at least one address is required');
  });
});
