// How the benchmarks and the planner time compute: the median of several calls after warm-up
// ones (kernels compiled, weights packed, buffers allocated), robust to a noisy machine.

/** Milliseconds of the median of `runs` timed calls of `run`, after `warmups` untimed ones. */
export function medianMs(run: () => void, runs: number, warmups = 2): number {
  for (let i = 0; i < warmups; i++) run();
  const times = Array.from({ length: runs }, () => {
    const start = performance.now();
    run();
    return performance.now() - start;
  }).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
