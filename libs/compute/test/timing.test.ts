// The benchmarks' timing: warm-up calls are not timed, and the median ignores one slow call.
import { expect, it } from 'vitest';
import { medianMs } from '@prune/compute';

it('times `runs` calls after the warm-ups and returns their median', () => {
  let calls = 0;
  const busy = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };
  // Warm-ups take 40 ms, timed calls 2 ms except one of 30 ms: the median is a 2 ms call.
  const ms = medianMs(() => busy(calls++ < 2 ? 40 : calls === 5 ? 30 : 2), 5);
  expect(calls).toBe(7);
  expect(ms).toBeGreaterThanOrEqual(2);
  expect(ms).toBeLessThan(20);
});
