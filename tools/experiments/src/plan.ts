// Plans an experiment before it runs: measures this machine's training and inference throughput on
// the model (with one trainer's share of the cores, as the local launcher gives it), estimates the
// wall time of the runs phase by phase (@prune/pruning's walk budget), and prints, for fine-tuning
// budgets in epochs, how long the experiment takes here, marking the largest that fits the limit.
//   npm run plan -- --model resnet20 --runs similarity,random,layers-only,filters-only --seeds 3 --iterations 6 --limit-minutes 120
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { compiledPredictor, initBackend, makeTrainStep, medianMs, tf, VariableRateMomentum } from '@prune/compute';
import { openDataset, sharedDir } from '@prune/data';
import { inspectModel } from '@prune/local-ports';
import { decayedWeights, loadModel } from '@prune/models';
import { similarityMetricByName } from '@prune/similarity-metrics';
import {
  epochsOf,
  experimentSeconds,
  iterationSeconds,
  RUN_DEFAULTS,
  stepsOf,
  type SelectionPolicy,
  type WalkShape,
} from '@prune/pruning';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet20' },
    dataset: { type: 'string', default: 'cifar10-jpeg' },
    runs: { type: 'string', default: 'similarity,random,layers-only,filters-only' },
    seeds: { type: 'string', default: '3' },
    iterations: { type: 'string', default: '6' },
    'limit-minutes': { type: 'string', default: '120' },
    // Selected fine-tune steps per candidate fine-tune step (the demo's 300 / 50).
    ratio: { type: 'string', default: '6' },
    batch: { type: 'string', default: '64' },
    criterion: { type: 'string', default: 'kl' },
    // A stochastic metric (e.g. gaussian_shape_metric) reads each validation image several times.
    metric: { type: 'string', default: 'linear_cka' },
    calibration: { type: 'string', default: '128' },
    test: { type: 'string', default: '10000' },
    trainers: { type: 'string', default: '2' },
    // Also estimate this exact budget (e.g. a finished experiment's, to check the estimate).
    'candidate-steps': { type: 'string' },
    'selected-steps': { type: 'string' },
  },
});
const n = (key: keyof typeof values) => Number(values[key]);
const trainers = n('trainers');
// Each local trainer gets its share of the cores (see startLocalServices): measure with that share.
process.env['PRUNE_THREADS'] ??= String(Math.max(1, Math.floor(os.cpus().length / trainers)));
const backend = await initBackend();

const SHARED: Record<string, string> = {
  resnet20: 'resnet20-12fca82f',
  resnet32: 'resnet32-d509ac18',
  resnet56: 'resnet56-4bfd9763',
};
const file = SHARED[values.model!]
  ? path.join(sharedDir(), `models/resnet-cifar10/${SHARED[values.model!]}.manifest.json`)
  : values.model!;
const { model } = await loadModel(file);
const train = await openDataset(`${values.dataset}:train`);
const facts = inspectModel(model);
const structures = facts.removableBlocks.length + facts.removableFilters;

/** Images per second of the median of 8 timed calls after two warm-ups. */
const imagesPerSecond = (images: number, run: () => void) => images / (medianMs(run, 8) / 1000);

const batch = n('batch');
const [h, w, c] = [train.height, train.width, train.channels];
const x = tf.randomUniform([batch, h, w, c]) as tf.Tensor4D;
const y = tf.tensor1d(
  Array.from({ length: batch }, (_, i) => i % train.classNames.length),
  'int32',
);
// As fine-tunes run: the step and the forward pass as graphs on native TensorFlow.
const step = makeTrainStep(model, new VariableRateMomentum(0.01, 0.9, true), {
  weightDecay: 5e-4,
  decayedWeights: decayedWeights(model),
});
const predictor = compiledPredictor(model);
const throughput = {
  trainImagesPerSecond: imagesPerSecond(batch, () => step(x, y)),
  inferImagesPerSecond: imagesPerSecond(4 * batch, () => {
    const big = tf.concat([x, x, x, x]);
    tf.dispose([big, predictor.predict(big)]);
  }),
};
step.dispose();
predictor.dispose();

const policies = values.runs!.split(',').map((p) => p.trim() as SelectionPolicy);
const runs = (candidateSteps: number, selectedSteps: number): WalkShape[] =>
  policies.flatMap((policy) =>
    Array.from({ length: n('seeds') }, () => ({
      policy,
      iterations: n('iterations'),
      candidateSteps,
      selectedSteps,
      batchSize: batch,
      calibrationExamples: values.criterion === 'kl' ? n('calibration') : 0,
      structures,
      validationExamples: RUN_DEFAULTS.validationExamples,
      testExamples: n('test'),
      samplesPerExample: similarityMetricByName(values.metric!).stochastic?.samplesPerExample ?? 1,
    })),
  );
const minutes = (shapes: WalkShape[]) =>
  experimentSeconds(shapes, throughput, { trainers, concurrency: trainers }) / 60;

console.log(
  `${values.model} on ${values.dataset} (${train.count} training images), ${backend.name} with ${process.env['PRUNE_THREADS']} thread(s) per trainer, ${trainers} trainers: ` +
    `training ${throughput.trainImagesPerSecond.toFixed(0)} img/s, inference ${throughput.inferImagesPerSecond.toFixed(0)} img/s per trainer; ` +
    `${structures} structures scored per iteration`,
);
console.log(
  `${policies.length} policies x ${n('seeds')} seeds x ${n('iterations')} iterations, ${trainers} runs at a time; selected = ${n('ratio')} x candidate steps; limit ${n('limit-minutes')} min\n`,
);
const rows = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10].map((selectedEpochs) => {
  const selected = stepsOf(selectedEpochs, batch, train.count);
  const candidate = Math.max(1, Math.round(selected / n('ratio')));
  return { selectedEpochs, selected, candidate, minutes: minutes(runs(candidate, selected)) };
});
const fits = rows.filter((r) => r.minutes <= n('limit-minutes')).at(-1);
console.log('selected epochs  candidate epochs  steps (candidate/selected)  estimated wall time');
for (const r of rows)
  console.log(
    `${r.selectedEpochs.toFixed(2).padStart(15)}  ${epochsOf(r.candidate, batch, train.count).toFixed(3).padStart(16)}  ${`${r.candidate}/${r.selected}`.padStart(26)}  ${r.minutes.toFixed(1).padStart(9)} min${r === fits ? '  <- largest within the limit' : ''}`,
  );
const phases = iterationSeconds(runs(fits?.candidate ?? 1, fits?.selected ?? 1)[0]!, throughput, trainers);
console.log(
  `\none ${policies[0]} iteration at that budget: ${Object.entries(phases)
    .map(([k, v]) => `${k} ${v.toFixed(0)} s`)
    .join(', ')}`,
);
if (!fits) console.log('no budget fits: fewer runs or iterations, or run it in resumable pieces (--stamp)');
if (values['candidate-steps'] && values['selected-steps']) {
  const [candidate, selected] = [n('candidate-steps'), n('selected-steps')];
  console.log(
    `${candidate}-step candidate and ${selected}-step selected fine-tunes (${epochsOf(candidate, batch, train.count).toFixed(3)} and ${epochsOf(selected, batch, train.count).toFixed(3)} epoch): ${minutes(runs(candidate, selected)).toFixed(1)} min`,
  );
}
process.exit(0);
