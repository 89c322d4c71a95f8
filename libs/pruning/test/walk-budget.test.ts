// The planner's arithmetic: what each policy spends per iteration, how runs share trainers, and
// budgets as epochs.
import { describe, expect, it } from 'vitest';
import { epochsOf, experimentSeconds, iterationSeconds, stepsOf, type WalkShape } from '@prune/pruning';

const shape: WalkShape = {
  policy: 'similarity',
  iterations: 3,
  candidateSteps: 50,
  selectedSteps: 300,
  batchSize: 64,
  calibrationExamples: 128,
  structures: 0,
  validationExamples: 1000,
  testExamples: 2000,
};
const throughput = { trainImagesPerSecond: 64, inferImagesPerSecond: 1000 };

describe('walk budget', () => {
  it('similarity fine-tunes both candidates (side by side on two trainers) and compares them; other policies do not', () => {
    const similarity = iterationSeconds(shape, throughput, 2);
    expect(similarity.candidates).toBe(50); // one step per second, both at once
    expect(iterationSeconds(shape, throughput, 1).candidates).toBe(100);
    expect(similarity.selected).toBe(300);
    // Two comparisons each extract the parent's and a candidate's representations, then 2 accuracies.
    expect(similarity.compare).toBeCloseTo(6, 6);
    expect(similarity.evaluate).toBeCloseTo(3, 6);
    expect(similarity.total).toBeCloseTo(50 + 300 + 6 + 3 + 0.128, 6);
    // A stochastic metric answers each validation image 8 times.
    expect(iterationSeconds({ ...shape, samplesPerExample: 8 }, throughput).compare).toBeCloseTo(34, 6);
    const random = iterationSeconds({ ...shape, policy: 'random' }, throughput);
    expect([random.candidates, random.compare]).toEqual([0, 0]);
  });

  it('KL scoring grows with the structures scored', () => {
    const few = iterationSeconds({ ...shape, structures: 10 }, throughput).score;
    const many = iterationSeconds({ ...shape, structures: 300 }, throughput).score;
    expect(many / few).toBeCloseTo(151 / 6, 6);
  });

  it('runs share the lanes and the trainers: the experiment takes its longest lane', () => {
    // One run at a time has both trainers for its candidates; two at a time, one each.
    const alone = 3 * iterationSeconds(shape, throughput, 2).total;
    const sharing = 3 * iterationSeconds(shape, throughput, 1).total;
    expect(sharing - alone).toBeCloseTo(3 * 50, 6);
    const runs = [shape, shape, shape, shape];
    expect(experimentSeconds(runs, throughput, { trainers: 2, concurrency: 2 })).toBeCloseTo(2 * sharing, 6);
    expect(experimentSeconds(runs.slice(1), throughput, { trainers: 2, concurrency: 1 })).toBeCloseTo(3 * alone, 6);
    expect(experimentSeconds([shape], throughput, { trainers: 2, concurrency: 2 })).toBeCloseTo(alone, 6);
  });

  it('budgets convert between steps and epochs', () => {
    expect(epochsOf(703, 64, 45000)).toBeCloseTo(1, 2);
    expect(stepsOf(1, 64, 45000)).toBe(703);
    expect(stepsOf(0, 64, 45000)).toBe(1);
  });
});
