// What knowledge distillation buys a pruned model at equal fine-tuning steps. From the baseline
// (the pretrained ResNet-20 fine-tuned on the JPEG training split, as compare-policies makes it),
// cut a layer candidate (the lowest-L1 blocks) and a filter candidate (as many filters), then
// fine-tune each for N steps with plain labels and with distillation from the baseline, for several
// seeds, and report test accuracy (mean and standard deviation). Writes docs/results/distillation.{md,json}.
//   npm run distillation -- --steps 100 --seeds 0,1,2
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, type tfl } from '@prune/compute';
import { criterionByName, criterionParameters } from '@prune/criteria';
import { openDataset, sharedDir } from '@prune/data';
import { makeFilterCandidate, makeLayerCandidate } from '@prune/local-ports';
import { loadModel, modelCost } from '@prune/models';
import { writeFileAtomic } from '@prune/store';
import { evaluateModel, resolveTrainConfig, trainModel } from '@prune/training';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet20-12fca82f' },
    'baseline-steps': { type: 'string', default: '200' },
    blocks: { type: 'string', default: '2' },
    steps: { type: 'string', default: '100' },
    'batch-size': { type: 'string', default: '64' },
    seeds: { type: 'string', default: '0,1,2' },
    weight: { type: 'string', default: '0.5' },
    temperature: { type: 'string', default: '4' },
    out: { type: 'string', default: 'docs/results' },
  },
});
const n = (key: keyof typeof values) => Number(values[key]);
const repo = path.resolve(import.meta.dirname, '../../..');
const backend = await initBackend();
const started = performance.now();
const [train, test] = await Promise.all([openDataset('cifar10-jpeg:train'), openDataset('cifar10-jpeg:test')]);
const file = path.join(sharedDir(), `models/resnet-cifar10/${values.model}.manifest.json`);

// The baseline, as compare-policies fine-tunes it (with the same --baseline-steps its checkpoint is reused).
const { model: baseline, metadata } = await loadModel(file);
const baselineConfig = resolveTrainConfig({ steps: n('baseline-steps'), seed: 0 });
await trainModel({
  model: baseline,
  metadata,
  data: train,
  config: baselineConfig,
  checkpointDir: path.join(repo, 'artifacts/experiments/baselines', `${values.model}-${baselineConfig.steps}-steps`),
});
const baselineAccuracy = (await evaluateModel(baseline, metadata, test)).accuracy;
console.error(`baseline: ${(100 * baselineAccuracy).toFixed(2)}% on ${test.count} test images`);

// The two cuts an iteration of the walk makes, by the data-free L1 criterion (cheap and seed-free).
const l1 = criterionByName('l1');
const context = { parameters: criterionParameters(l1) };
const blockScores = l1.scoreBlocks(baseline, context).map((s) => ({ id: s.id, score: s.score }));
const filterScores = l1
  .scoreFilters(baseline, context)
  .flatMap((s) => (s.kind === 'filter' ? [{ id: s.id, channel: s.channel, score: s.score }] : []));
const layerCut = await makeLayerCandidate(baseline, blockScores, n('blocks'));
const filterCut = await makeFilterCandidate(baseline, filterScores, { filters: layerCut.removedFilters });
const cuts: { name: string; model: tfl.LayersModel }[] = [
  { name: `layer candidate (${layerCut.removed.join(', ')})`, model: layerCut.model },
  { name: `filter candidate (${filterCut.removedFilters} filters)`, model: filterCut.model },
];

interface Row {
  cut: string;
  macsReduction: number;
  before: number;
  plain: number[];
  distilled: number[];
}
const rows: Row[] = [];
const seeds = values.seeds!.split(',').map(Number);
for (const cut of cuts) {
  const weights = cut.model.getWeights().map((w) => w.clone());
  const fresh = () => {
    cut.model.setWeights(weights);
    return cut.model;
  };
  const row: Row = {
    cut: cut.name,
    macsReduction: 1 - modelCost(cut.model).macs / modelCost(baseline).macs,
    before: (await evaluateModel(fresh(), metadata, test)).accuracy,
    plain: [],
    distilled: [],
  };
  for (const seed of seeds)
    for (const distill of [false, true]) {
      const model = fresh();
      const config = {
        steps: n('steps'),
        batchSize: n('batch-size'),
        seed,
        ...(distill ? { distillationWeight: n('weight'), distillationTemperature: n('temperature') } : {}),
      };
      await trainModel({ model, metadata, data: train, config, ...(distill ? { teacher: baseline } : {}) });
      const accuracy = (await evaluateModel(model, metadata, test)).accuracy;
      (distill ? row.distilled : row.plain).push(accuracy);
      console.error(`${cut.name} seed ${seed} ${distill ? 'distilled' : 'plain'}: ${(100 * accuracy).toFixed(2)}%`);
    }
  rows.push(row);
  weights.forEach((w) => w.dispose());
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const pm = (xs: number[]) => `${(100 * mean(xs)).toFixed(2)} ± ${(100 * std(xs)).toFixed(2)}`;
const epochs = (n('steps') * n('batch-size')) / train.count;
const command = `npm run distillation -- ${process.argv.slice(2).join(' ')}`.trim();
const hardware = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}`;
const minutes = (performance.now() - started) / 60_000;
const out = path.resolve(repo, values.out!, 'distillation');
writeFileAtomic(
  `${out}.json`,
  JSON.stringify(
    {
      command,
      backend: `${backend.name} (${backend.detail})`,
      hardware,
      minutes,
      baselineAccuracy,
      steps: n('steps'),
      batchSize: n('batch-size'),
      epochs,
      weight: n('weight'),
      temperature: n('temperature'),
      seeds,
      rows,
    },
    null,
    2,
  ) + '\n',
);
writeFileAtomic(
  `${out}.md`,
  [
    '# Knowledge distillation at equal fine-tuning steps',
    '',
    `Baseline: ${values.model} fine-tuned ${baselineConfig.steps} steps on the JPEG training split, ` +
      `**${(100 * baselineAccuracy).toFixed(2)}%** on the ${test.count} JPEG test images; it is also the teacher.`,
    `Each cut is fine-tuned ${n('steps')} steps at batch ${n('batch-size')} (${epochs.toFixed(3)} epoch), cosine from ` +
      `${resolveTrainConfig({}).learningRate}, with the labels alone ("plain", the paper's fine-tuning) or mixed with ` +
      `distillation from the baseline (weight ${n('weight')}, temperature ${n('temperature')}); seeds ${seeds.join(', ')} ` +
      '(data order and augmentation), the same for both. Test accuracy %, mean ± standard deviation over the seeds:',
    '',
    '| cut | MACs reduction % | before fine-tuning | plain | distilled | distilled − plain (pts, per seed) |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.cut} | ${(100 * r.macsReduction).toFixed(1)} | ${(100 * r.before).toFixed(2)} | ${pm(r.plain)} | ` +
        `${pm(r.distilled)} | ${r.distilled.map((d, i) => (100 * (d - r.plain[i]!)).toFixed(2)).join(', ')} |`,
    ),
    '',
    `Command: \`${command}\`  `,
    `Backend: ${backend.name} (${backend.detail}); hardware: ${hardware}; ${minutes.toFixed(1)} min.`,
    '',
  ].join('\n'),
);
console.log(`wrote ${out}.{json,md}`);
process.exit(0);
