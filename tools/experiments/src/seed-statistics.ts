// Several seeds of each policy, summarized the way the paper's tables compare policies: the mean and
// standard deviation over seeds, per iteration and at matched MACs reductions (each run's accuracy
// delta interpolated along its own curve, since policies remove different amounts per iteration).

export interface SeedRun {
  group: string;
  decisions: string;
  iterations: { macsReduction: number; testAccuracyDelta: number }[];
}

export interface MeanStd {
  mean: number;
  std: number;
  /** How many runs contributed. */
  n: number;
}

/** Mean and sample standard deviation (0 for a single value). */
export function meanStd(values: number[]): MeanStd {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, std, n };
}

/**
 * The run's test accuracy delta at `macsReduction`, linearly interpolated between the iterations
 * around it (the unpruned model is (0, 0)); undefined when the run never got that far.
 */
export function deltaAtMacs(run: SeedRun, macsReduction: number): number | undefined {
  const points = [{ macsReduction: 0, testAccuracyDelta: 0 }, ...run.iterations];
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1]!, points[i]!];
    if (b.macsReduction >= macsReduction && a.macsReduction <= macsReduction) {
      const span = b.macsReduction - a.macsReduction;
      const t = span > 0 ? (macsReduction - a.macsReduction) / span : 1;
      return a.testAccuracyDelta + t * (b.testAccuracyDelta - a.testAccuracyDelta);
    }
  }
  return undefined;
}

export interface GroupSummary {
  group: string;
  decisions: string[];
  /** Per iteration index: MACs reduction and accuracy delta over the runs that reached it. */
  iterations: { macsReduction: MeanStd; testAccuracyDelta: MeanStd }[];
  /** Accuracy delta at each matched MACs reduction, over the runs that reached it. */
  matched: { macsReduction: number; testAccuracyDelta?: MeanStd }[];
}

export function summarizeSeeds(runs: SeedRun[], levels: number[]): GroupSummary[] {
  const groups = [...new Set(runs.map((r) => r.group))];
  return groups.map((group) => {
    const mine = runs.filter((r) => r.group === group);
    const depth = Math.max(...mine.map((r) => r.iterations.length));
    return {
      group,
      decisions: mine.map((r) => r.decisions),
      iterations: Array.from({ length: depth }, (_, i) => {
        const at = mine.flatMap((r) => (r.iterations[i] ? [r.iterations[i]!] : []));
        return {
          macsReduction: meanStd(at.map((x) => x.macsReduction)),
          testAccuracyDelta: meanStd(at.map((x) => x.testAccuracyDelta)),
        };
      }),
      matched: levels.map((level) => {
        const deltas = mine.flatMap((r) => {
          const d = deltaAtMacs(r, level);
          return d === undefined ? [] : [d];
        });
        return { macsReduction: level, ...(deltas.length ? { testAccuracyDelta: meanStd(deltas) } : {}) };
      }),
    };
  });
}
