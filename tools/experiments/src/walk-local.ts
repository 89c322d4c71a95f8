// Runs the greedy walk in one process on CIFAR-10 (JPEG) and prints the decision path, the MACs
// and params reductions and the accuracies. Selection uses the validation split; the test split is
// only reported. `npm run walk -- --iterations 3 --policy similarity --candidate-steps 50 --selected-steps 200`
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, type tfl } from '@prune/compute';
import { SELECTION_POLICY_NAMES } from '@prune/contracts';
import { criterionByName, DEFAULT_CALIBRATION_EXAMPLES } from '@prune/criteria';
import { classBalancedSample, datasetInfo, openDataset, sharedDir } from '@prune/data';
import { localWalkPorts } from '@prune/local-ports';
import { loadModel, preprocessImages, requirePreprocessing } from '@prune/models';
import { FINE_TUNE_STEPS, greedyWalk, RUN_DEFAULTS, type SelectionPolicy, type WalkEvent } from '@prune/pruning';
import { similarityMetricByName } from '@prune/similarity-metrics';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet20-12fca82f' },
    iterations: { type: 'string', default: '3' },
    policy: { type: 'string', default: 'similarity' },
    criterion: { type: 'string', default: RUN_DEFAULTS.criterion },
    metric: { type: 'string', default: RUN_DEFAULTS.metric },
    'filter-match': { type: 'string', default: RUN_DEFAULTS.filterMatch },
    'candidate-steps': { type: 'string', default: String(FINE_TUNE_STEPS.candidate) },
    'selected-steps': { type: 'string', default: String(FINE_TUNE_STEPS.selected) },
    'validation-examples': { type: 'string', default: String(RUN_DEFAULTS.validationExamples) },
    'test-examples': { type: 'string', default: '10000' },
    calibration: { type: 'string', default: String(DEFAULT_CALIBRATION_EXAMPLES) },
    seed: { type: 'string', default: '0' },
    out: { type: 'string' },
  },
});
const n = (key: keyof typeof values) => Number(values[key]);
if (SELECTION_POLICY_NAMES.parse(values.policy!) === undefined)
  throw new Error(`--policy: expected one of ${SELECTION_POLICY_NAMES.names.join(', ')}, got "${values.policy}"`);
const backend = await initBackend();
const started = performance.now();
const { model, metadata } = await loadModel(
  path.join(sharedDir(), `models/resnet-cifar10/${values.model}.manifest.json`),
);
const train = await openDataset('cifar10-jpeg:train');
const validation = classBalancedSample(
  await openDataset('cifar10-jpeg:validation'),
  n('validation-examples'),
  n('seed'),
);
const test = classBalancedSample(await openDataset('cifar10-jpeg:test'), n('test-examples'), 0);
const calibration = classBalancedSample(train, n('calibration'), n('seed'));
const metric = similarityMetricByName(values.metric!);
// Every other hyper-parameter is the default a run's fine-tunes take too (DEFAULT_TRAIN_CONFIG).
const fineTune = (steps: number) => ({ steps, seed: n('seed') });
const ports = localWalkPorts({
  metadata,
  train,
  validation,
  test,
  calibration: preprocessImages(calibration.pixels, [calibration.count, 32, 32, 3], requirePreprocessing(metadata)),
  criterion: criterionByName(values.criterion!),
  metric,
  candidateFineTune: fineTune(n('candidate-steps')),
  selectedFineTune: fineTune(n('selected-steps')),
  seed: n('seed'),
});
let initialCost = { macs: 0, params: 0 };
let initialTest = 0;
const config = {
  maxIterations: n('iterations'),
  targetMacsReduction: 0,
  accuracyFloor: 0,
  blocksPerIteration: 1,
  filterMatch: values['filter-match'] as 'count' | 'macs',
  policy: values.policy as SelectionPolicy,
  layerEpsilon: 0,
  seed: n('seed'),
  chanceAccuracy: 1 / datasetInfo('cifar10-jpeg')!.classes,
};
let last: WalkEvent<tfl.LayersModel> | undefined;
for await (const event of greedyWalk(model, config, ports)) {
  last = event;
  if (event.type === 'start') {
    ({ testAccuracy: initialTest, ...initialCost } = event);
    console.log(
      `${values.model}: ${initialCost.macs} MACs, ${initialCost.params} params, test accuracy ${(100 * initialTest).toFixed(2)}% (${test.count} images)`,
    );
  }
  if (event.type === 'phase') console.error(`  iteration ${event.iteration + 1}: ${event.name}`);
  if (event.type === 'iteration') {
    const r = event.record;
    console.log(
      `iteration ${r.index + 1}: ${r.choice}  CKA L ${r.layer?.similarity.toFixed(4) ?? '-'} F ${r.filter?.similarity.toFixed(4) ?? '-'}  ` +
        `MACs -${(100 * (1 - r.macs / initialCost.macs)).toFixed(1)}%  params -${(100 * (1 - r.params / initialCost.params)).toFixed(1)}%  ` +
        `val ${(100 * r.validationAccuracy).toFixed(2)}%  test ${(100 * r.testAccuracy).toFixed(2)}% (${(100 * (r.testAccuracy - initialTest)).toFixed(2)} pts)`,
    );
  }
}
if (last?.type === 'done') {
  const path_ = last.iterations.map((r) => r.choice).join(' ');
  console.log(
    `decisions: ${path_}; stop: ${last.stopReason}; backend ${backend.name} (${backend.detail}), ${os.cpus().length} cores; ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (values.out) {
    const summary = {
      config,
      model: values.model,
      initial: { ...initialCost, testAccuracy: initialTest },
      iterations: last.iterations.map(({ model: _m, layer, filter, ...r }) => ({
        ...r,
        layer: layer && { ...layer, model: undefined },
        filter: filter && { ...filter, model: undefined },
      })),
    };
    fs.writeFileSync(values.out, JSON.stringify(summary, null, 2));
  }
}
