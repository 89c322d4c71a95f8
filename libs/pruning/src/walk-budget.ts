// What a walk costs before it runs: its seconds estimated from measured throughput, phase by phase
// as the walk spends them, so that an experiment's budgets (in epochs) can be chosen to fit a
// wall-clock limit instead of discovered after hours.
import type { SelectionPolicy } from './greedy-walk.js';

export interface Throughput {
  /** Images per second of a training step on one trainer. */
  trainImagesPerSecond: number;
  /** Images per second of inference on one service. */
  inferImagesPerSecond: number;
}

export interface WalkShape {
  policy: SelectionPolicy;
  iterations: number;
  candidateSteps: number;
  selectedSteps: number;
  batchSize: number;
  /** Calibration images of a data-driven criterion (0 for L1 or random). */
  calibrationExamples: number;
  /** Structures the criterion scores each iteration (blocks and filters). */
  structures: number;
  validationExamples: number;
  testExamples: number;
  /** Responses per validation image the metric compares (a stochastic metric's; default 1). */
  samplesPerExample?: number;
}

/** Seconds of each phase of one iteration, and their sum. */
export interface IterationSeconds {
  score: number;
  candidates: number;
  compare: number;
  selected: number;
  evaluate: number;
  total: number;
}

/**
 * One iteration of a walk on trainers that each compute at `throughput`. Only the similarity
 * policy fine-tunes and compares both candidates (the two fine-tunes run side by side when there
 * are two trainers); KL runs the rest of the network for every structure from where it starts
 * (about half of it on average) on the calibration images.
 */
export function iterationSeconds(shape: WalkShape, throughput: Throughput, trainers = 2): IterationSeconds {
  const train = (steps: number) => (steps * shape.batchSize) / throughput.trainImagesPerSecond;
  const infer = (images: number) => images / throughput.inferImagesPerSecond;
  const both = shape.policy === 'similarity';
  const phases = {
    score: infer(shape.calibrationExamples * (1 + shape.structures / 2)),
    candidates: both ? Math.ceil(2 / Math.max(1, trainers)) * train(shape.candidateSteps) : 0,
    // The metric reads the parent's and both candidates' representations (twice the parent's: once
    // per comparison), each image answered samplesPerExample times; then both validation accuracies.
    compare: both ? infer((4 * (shape.samplesPerExample ?? 1) + 2) * shape.validationExamples) : 0,
    selected: train(shape.selectedSteps),
    evaluate: infer(shape.validationExamples + shape.testExamples),
  };
  return { ...phases, total: Object.values(phases).reduce((a, b) => a + b, 0) };
}

/**
 * Wall-clock seconds of an experiment's runs, `concurrency` at a time on `trainers` shared trainers
 * at the measured per-trainer throughput (so a run has trainers / concurrency of them for its two
 * candidates): the longest of the greedy schedule's lanes.
 */
export function experimentSeconds(
  runs: WalkShape[],
  throughput: Throughput,
  options: { trainers?: number; concurrency?: number } = {},
): number {
  // Fewer runs than lanes leave trainers free for the runs there are.
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 1, runs.length));
  const trainersPerRun = Math.max(1, Math.floor((options.trainers ?? 2) / concurrency));
  const lanes = new Array<number>(concurrency).fill(0);
  for (const run of runs) {
    const lane = lanes.indexOf(Math.min(...lanes));
    lanes[lane]! += run.iterations * iterationSeconds(run, throughput, trainersPerRun).total;
  }
  return Math.max(...lanes);
}

/** Fine-tuning steps as epochs of a training split of `trainExamples`. */
export const epochsOf = (steps: number, batchSize: number, trainExamples: number): number =>
  (steps * batchSize) / trainExamples;

/** Steps of `epochs` over a training split of `trainExamples` (at least 1). */
export const stepsOf = (epochs: number, batchSize: number, trainExamples: number): number =>
  Math.max(1, Math.round((epochs * trainExamples) / batchSize));
