// The plot every pruning experiment writes: test accuracy delta against MACs reduction, one line
// per run, each starting at the unpruned model (0, 0).
import { lineChartSvg } from '@prune/cli';

export interface DeltaLine {
  name: string;
  color: string;
  iterations: { macsReduction: number; testAccuracyDelta: number }[];
  /** Error bars of each iteration's delta, as fractions like the deltas (e.g. a standard deviation over seeds). */
  errors?: number[];
}

export function deltaChartSvg(lines: DeltaLine[], xLabel: string): string {
  return lineChartSvg(
    lines.map((line) => ({
      name: line.name,
      color: line.color,
      points: [
        [0, 0] as [number, number],
        ...line.iterations.map((it): [number, number] => [it.macsReduction, 100 * it.testAccuracyDelta]),
      ],
      ...(line.errors ? { errors: [0, ...line.errors.map((e) => 100 * e)] } : {}),
    })),
    {
      xLabel,
      yLabel: 'test accuracy Δ (pts)',
      xFormat: (x) => `${(100 * x).toFixed(0)}%`,
      yFormat: (y) => y.toFixed(1),
      width: 760,
      height: 400,
    },
  );
}
