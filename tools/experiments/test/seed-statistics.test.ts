// The numbers the seeded experiments report: means and standard deviations over seeds, and the
// accuracy delta at a matched MACs reduction interpolated along each run's own curve.
import { expect, it } from 'vitest';
import { deltaAtMacs, meanStd, summarizeSeeds, type SeedRun } from '../src/seed-statistics.js';

const run = (group: string, points: [number, number][]): SeedRun => ({
  group,
  decisions: points.map(() => 'L').join(' '),
  iterations: points.map(([macsReduction, testAccuracyDelta]) => ({ macsReduction, testAccuracyDelta })),
});

it('mean and sample standard deviation', () => {
  expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1, n: 3 });
  expect(meanStd([5])).toEqual({ mean: 5, std: 0, n: 1 });
});

it('interpolates a run at a matched MACs reduction from the unpruned model on, and not beyond its last model', () => {
  const r = run('similarity', [
    [0.2, -0.01],
    [0.4, -0.05],
  ]);
  expect(deltaAtMacs(r, 0.1)).toBeCloseTo(-0.005, 12);
  expect(deltaAtMacs(r, 0.3)).toBeCloseTo(-0.03, 12);
  expect(deltaAtMacs(r, 0.4)).toBeCloseTo(-0.05, 12);
  expect(deltaAtMacs(r, 0.5)).toBeUndefined();
});

it('summarizes each policy over its seeds, per iteration and at matched MACs (over the runs that got there)', () => {
  const runs = [
    run('random', [
      [0.2, -0.02],
      [0.4, -0.04],
    ]),
    run('random', [[0.3, -0.06]]),
    run('similarity', [[0.3, 0]]),
  ];
  const [random, similarity] = summarizeSeeds(runs, [0.3, 0.4]);
  expect(random!.group).toBe('random');
  expect(random!.iterations[0]!.macsReduction).toMatchObject({ mean: 0.25, n: 2 });
  expect(random!.iterations[1]!.testAccuracyDelta).toEqual({ mean: -0.04, std: 0, n: 1 });
  expect(random!.matched[0]!.testAccuracyDelta!.mean).toBeCloseTo(-0.045, 12); // -0.03 and -0.06
  expect(random!.matched[1]!.testAccuracyDelta).toMatchObject({ n: 1 });
  expect(similarity!.matched[1]!.testAccuracyDelta).toBeUndefined();
});
