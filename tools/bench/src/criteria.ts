// Exact KL importance of every filter group and block: structures/second of the fast
// implementation (resume from cached activations, batched variants) and of the naive one full
// pass per structure, measured in the same run, with the ratio and the largest score difference.
// The naive loop runs on an evenly spaced sample of structures (--naive-sample) because over all
// of them it takes hours on 2 cores; structures/second is what is compared.
// `npm run bench:criteria -- --model resnet56-4bfd9763 --calibration 256`
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend, tf } from '@prune/compute';
import { DEFAULT_CALIBRATION_EXAMPLES, klScores, type StructureScore } from '@prune/criteria';
import { classBalancedSample, loadCifar10Jpeg, sharedDir } from '@prune/data';
import { loadModel, preprocessImages, requirePreprocessing } from '@prune/models';
import { printTable } from './table.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet56-4bfd9763' },
    calibration: { type: 'string', default: String(DEFAULT_CALIBRATION_EXAMPLES) },
    'naive-sample': { type: 'string', default: '40' },
  },
});
const backend = await initBackend();
const { model, metadata } = await loadModel(
  path.join(sharedDir(), `models/resnet-cifar10/${values.model}.manifest.json`),
);
const count = Number(values.calibration);
const sample = classBalancedSample(await loadCifar10Jpeg('train'), count, 0);
const x = preprocessImages(sample.pixels, [count, 32, 32, 3], requirePreprocessing(metadata));

const rows: string[][] = [];
for (const kind of ['block', 'filter'] as const) {
  let start = performance.now();
  const fast = klScores(model, x, kind);
  const fastSeconds = (performance.now() - start) / 1000;
  const step = Math.max(1, Math.floor(fast.length / Number(values['naive-sample'])));
  const key = (s: StructureScore) => `${s.id}:${s.kind === 'filter' ? s.channel : ''}`;
  const chosen = new Set(fast.filter((_, i) => i % step === 0).map(key));
  start = performance.now();
  const naive = klScores(model, x, kind, { mode: 'naive', select: (s) => chosen.has(key(s)) });
  const naiveSeconds = (performance.now() - start) / 1000;
  const fastByKey = new Map(fast.map((s) => [key(s), s.score]));
  const maxDiff = Math.max(...naive.map((s) => Math.abs(s.score - fastByKey.get(key(s))!)));
  const fastRate = fast.length / fastSeconds;
  const naiveRate = naive.length / naiveSeconds;
  rows.push([
    kind === 'block' ? 'blocks' : 'filters',
    String(fast.length),
    fastRate.toFixed(2),
    `${naiveRate.toFixed(2)} (${naive.length} sampled)`,
    `${(fastRate / naiveRate).toFixed(2)}x`,
    maxDiff.toExponential(1),
  ]);
  console.error(
    `  ${kind}: fast ${fastSeconds.toFixed(1)} s for ${fast.length}, naive ${naiveSeconds.toFixed(1)} s for ${naive.length}`,
  );
}
console.log(
  `KL scores of ${values.model} with ${count} class-balanced training images; backend ${backend.name} (${backend.detail}); ${os.cpus().length} cores; tensors left ${tf.memory().numTensors}`,
);
printTable(['structures', 'count', 'fast struct/s', 'naive struct/s', 'speed-up', 'max |fast - naive|'], rows);
