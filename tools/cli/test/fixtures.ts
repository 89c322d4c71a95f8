// A finished run as the coordinator reports it: two iterations on a ResNet-20-shaped model, the
// second below the accuracy floor, so the result is the first iteration's model.
import { Choice, Corruption, FilterMatch, LrSchedule, Run, RunState, SelectionPolicy } from '@prune/contracts';

const resnet20Widths = () => [
  { layer: 'conv1', filters: 16, unit: 'filters' },
  ...[1, 2, 3].flatMap((stage) =>
    [0, 1, 2].flatMap((block) =>
      ['conv1', 'conv2'].map((conv) => ({
        layer: `layer${stage}.${block}.${conv}`,
        filters: 8 * 2 ** stage,
        unit: 'filters',
      })),
    ),
  ),
];

export const ITERATION_1_WIDTHS = resnet20Widths().filter((w) => !w.layer.startsWith('layer2.1.'));

const iteration = (
  index: number,
  choice: Choice,
  macs: number,
  params: number,
  testAccuracy: number,
  uri: string,
  widths = ITERATION_1_WIDTHS,
) => ({
  index,
  choice,
  layerCandidate: {
    similarity: 0.95,
    validationAccuracy: 0.8,
    cost: { macs: 36_000_000, flops: 2, params: 3 },
    removed: ['layer2.1'],
    removedScores: [0.01],
  },
  filterCandidate: {
    similarity: 0.9,
    validationAccuracy: NaN,
    cost: { macs: 35_000_000, flops: 2, params: 3 },
    removed: ['layer1.0.conv1:3'],
    removedScores: [0.2],
  },
  model: { uri, sha256: '' },
  cost: { macs, flops: 2 * macs, params },
  validationAccuracy: 0.85,
  testAccuracy,
  widths,
});

export const finishedRun = () =>
  Run.fromPartial({
    id: 'r1',
    state: RunState.RUN_STATE_SUCCEEDED,
    stopReason: 'validation accuracy 0.4000 fell below the floor 0.5',
    initialCost: { macs: 40_000_000, flops: 0, params: 270_000 },
    initialTestAccuracy: 0.92,
    initialWidths: resnet20Widths(),
    iterations: [
      iteration(0, Choice.CHOICE_LAYER, 36_000_000, 260_000, 0.91, 'store://dirs/a'),
      iteration(
        1,
        Choice.CHOICE_FILTER,
        30_000_000,
        200_000,
        0.5,
        'store://dirs/b',
        ITERATION_1_WIDTHS.map((w) => (w.layer === 'conv1' ? { ...w, filters: 12 } : w)),
      ),
    ],
    resultModel: { uri: 'store://dirs/a', sha256: '' },
    initialModel: { uri: 'store://dirs/parent', sha256: '' },
    createdAt: '2026-11-25T10:00:00.000Z',
    updatedAt: '2026-11-25T10:06:06.000Z',
    // As the coordinator reports it: every default filled in.
    config: {
      model: { uri: '/models/resnet20.manifest.json', sha256: '' },
      dataset: 'cifar10-jpeg',
      preprocessing: '',
      policy: SelectionPolicy.SELECTION_POLICY_SIMILARITY,
      criterion: 'kl',
      criterionParameters: {},
      metric: 'rbf_cka',
      metricParameters: { threshold: 0.5 },
      maxIterations: 2,
      accuracyFloor: 0.5,
      blocksPerIteration: 1,
      filterMatch: FilterMatch.FILTER_MATCH_COUNT,
      candidateFinetune: {
        steps: 50,
        batchSize: 64,
        learningRate: 0.01,
        schedule: LrSchedule.LR_SCHEDULE_COSINE,
        augment: true,
      },
      selectedFinetune: {
        steps: 300,
        batchSize: 64,
        learningRate: 0.01,
        schedule: LrSchedule.LR_SCHEDULE_COSINE,
        augment: true,
      },
      calibrationExamples: 128,
      validationExamples: 1000,
      seed: 7,
    },
  });

/** An assessment message as a trainer sends it: `clean` sets every accuracy, `ms` the latency. */
export const assessment = (clean: number, ms: number) => ({
  examples: 500,
  clean,
  adversarial: [
    { attack: 'fgsm', epsilon: 1 / 255, accuracy: clean / 2 },
    { attack: 'pgd', epsilon: 1 / 255, accuracy: clean / 4 },
  ],
  corruptions: [
    { corruption: Corruption.CORRUPTION_CONTRAST, severity: 1, accuracy: clean - 0.1 },
    { corruption: Corruption.CORRUPTION_PIXELATE, severity: 1, accuracy: clean - 0.2 },
  ],
  meanCorruptionAccuracy: clean - 0.15,
  latency: [
    { engine: 'tfjs-tensorflow', batch: 64, medianMs: 2 * ms, imagesPerSecond: 64_000 / (2 * ms), runs: 20 },
    { engine: 'onnxruntime-cpu', batch: 64, medianMs: ms, imagesPerSecond: 64_000 / ms, runs: 20 },
  ],
  energy: [
    {
      engine: 'onnxruntime-cpu',
      kilowattHoursPer1000: (24 * 1.1 * (ms / 64)) / 3600 / 1000,
      gramsCo2Per1000: ((24 * 1.1 * (ms / 64)) / 3600 / 1000) * 475,
      assumptions: { device: '2 CPU core(s) at 12 W each', watts: 24, pue: 1.1, gramsCo2PerKwh: 475, grid: 'world' },
    },
  ],
  training: { device: '1 CPU core(s) at 12 W each', watts: 12, pue: 1.1, gramsCo2PerKwh: 475, grid: 'world' },
  notes: ['CIFAR-10.2 is not available offline (nothing downloads): not assessed'],
});

/** finishedRun() with its parent and kept models assessed, and the seconds of each iteration's fine-tunes. */
export const assessedRun = () => {
  const run = finishedRun();
  run.initialAssessment = assessment(0.92, 40);
  run.iterations.forEach((iteration, k) => {
    iteration.assessment = assessment(0.91 - 0.3 * k, 30 - 10 * k);
    iteration.fineTuneSeconds = 600;
  });
  return run;
};
