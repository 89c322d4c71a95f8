// Transformers (the paper's appendix C) at this machine's scale: trains a Transformer encoder on
// Fashion-MNIST read as sequences (28 steps of 28 features, the shape of a windowed sensor
// recording), then prunes it through the services with each selection policy (similarity, random,
// layers-only, heads-only) and each criterion (KL, L1), with identical budgets and seeds: every
// iteration chooses between removing an encoder block (L) and as many attention heads (H).
// Writes docs/results/transformer-policies.{json,md,svg}. Rerunning with --stamp resumes the runs.
//   npm run transformer -- --epochs 15 --iterations 5
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SELECTION_POLICY_NAMES } from '@prune/contracts';
import { openDataset } from '@prune/data';
import { buildTransformer, modelCost, PREPROCESSING_PRESETS, putModelArtifact } from '@prune/models';
import { CoordinatorClient } from '@prune/coordinator-client';
import { RUN_DEFAULTS } from '@prune/pruning';
import { startLocalServices } from '@prune/service-kit';
import { writeFileAtomic } from '@prune/store';
import { evaluateModel, resolveTrainConfig, trainModel } from '@prune/training';
import { deltaChartSvg } from './delta-chart.js';
import { experimentContext } from './experiment-context.js';
import { runToEnd, type FollowedRun } from './follow-run.js';
import { runQueue } from './run-queue.js';

const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '4' },
    heads: { type: 'string', default: '8' },
    'head-dim': { type: 'string', default: '16' },
    'model-dim': { type: 'string', default: '64' },
    'ff-dim': { type: 'string', default: '128' },
    epochs: { type: 'string', default: '15' },
    'learning-rate': { type: 'string', default: '0.05' },
    'baseline-batch': { type: 'string', default: '128' },
    iterations: { type: 'string', default: '5' },
    'candidate-steps': { type: 'string', default: '100' },
    'selected-steps': { type: 'string', default: '500' },
    calibration: { type: 'string', default: '128' },
    policies: { type: 'string', default: 'similarity,random,layers-only,heads-only' },
    criteria: { type: 'string', default: 'kl,l1' },
    seed: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '2' },
    stamp: { type: 'string' },
    out: { type: 'string', default: 'docs/results' },
  },
});
const { repo, outDir, storeDir, store, backend, command, hardware } = await experimentContext(
  'transformer',
  values.out!,
);
const n = (key: keyof typeof values) => Number(values[key]);
const started = performance.now();

/** The runs' fine-tunes: batch 64, no image augmentation (rows are time steps), otherwise a run's defaults. */
const RUN_FINE_TUNE = { batchSize: 64, augment: false };
const architecture = {
  inputShape: [28, 28, 1],
  numClasses: 10,
  blocks: n('blocks'),
  heads: n('heads'),
  headDim: n('head-dim'),
  modelDim: n('model-dim'),
  feedForwardDim: n('ff-dim'),
};

/** The parent: the Transformer trained from scratch on the training split (resumable), stored. */
async function baseline() {
  const model = buildTransformer({ ...architecture, seed: n('seed') });
  const metadata = { preprocessing: PREPROCESSING_PRESETS['unit']!.preprocessing, source: 'buildTransformer' };
  const [train, test] = await Promise.all([openDataset('fashion-mnist:train'), openDataset('fashion-mnist:test')]);
  const config = resolveTrainConfig({
    epochs: n('epochs'),
    batchSize: n('baseline-batch'),
    learningRate: n('learning-rate'),
    augment: false,
    seed: n('seed'),
  });
  const seed = n('seed') ? `-seed${n('seed')}` : '';
  const key = `${Object.values(architecture).flat().join('-')}-${config.epochs}ep-${config.learningRate}-${config.batchSize}${seed}`;
  const training = await trainModel({
    model,
    metadata,
    data: train,
    config,
    checkpointDir: path.join(storeDir, 'baselines', `transformer-${key}`),
    progressEverySteps: 100,
    onProgress: (p) =>
      console.error(
        `  transformer: epoch ${p.epoch} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)} acc ${p.accuracy.toFixed(3)} ${p.imagesPerSecond.toFixed(0)} img/s`,
      ),
  });
  const accuracy = (await evaluateModel(model, metadata, test)).accuracy;
  if (accuracy < 0.5)
    throw new Error(`the trained Transformer scores ${(100 * accuracy).toFixed(2)}% on test: too weak to prune`);
  const ref = await putModelArtifact(store, model, metadata);
  const { macs, params } = modelCost(model);
  model.dispose();
  console.log(
    `transformer: ${(100 * accuracy).toFixed(2)}% on ${test.count} test images after ${config.epochs} epochs (${training.steps} steps), ${(macs / 1e6).toFixed(2)}M MACs, ${params} params`,
  );
  return { ref, accuracy, macs, params, config, trainSeconds: training.computeSeconds };
}

interface Result extends FollowedRun {
  criterion: string;
  policy: string;
}

/** A policy by name; heads-only is filters-only: on a Transformer the width candidate removes heads. */
function policyOf(name: string) {
  const policy = SELECTION_POLICY_NAMES.parse(name === 'heads-only' ? 'filters-only' : name);
  if (policy === undefined)
    throw new Error(
      `--policies: unknown policy "${name}"; use ${[...SELECTION_POLICY_NAMES.names, 'heads-only'].join(', ')}`,
    );
  return policy;
}
const configs = values
  .criteria!.split(',')
  .flatMap((criterion) =>
    values.policies!.split(',').map((policy) => ({ criterion, policy, value: policyOf(policy) })),
  );
const base = await baseline();
const services = await startLocalServices(path.join(repo, 'services'), {
  env: { PRUNE_STORE_DIR: storeDir },
  trainers: 2,
  log: console.error,
});
const client = new CoordinatorClient(services.coordinator);
const results: Result[] = [];
try {
  const stamp = values.stamp ?? new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
  await runQueue(configs, n('concurrency'), async (next) => {
    const label = `${next.criterion} ${next.policy}`;
    const followed = await runToEnd(
      client,
      {
        model: base.ref,
        dataset: 'fashion-mnist',
        policy: next.value,
        criterion: next.criterion,
        maxIterations: n('iterations'),
        blocksPerIteration: 1,
        seed: n('seed'),
        calibrationExamples: n('calibration'),
        validationExamples: RUN_DEFAULTS.validationExamples,
        testExamples: 10_000,
        candidateFinetune: { steps: n('candidate-steps'), ...RUN_FINE_TUNE },
        selectedFinetune: { steps: n('selected-steps'), ...RUN_FINE_TUNE },
      },
      `transformer-${next.criterion}-${next.policy}-${stamp}`,
      label,
    );
    results.push({ criterion: next.criterion, policy: next.policy, ...followed });
    const s = followed.summary;
    console.log(
      `${label}: ${s.decisions}  MACs -${(100 * s.macsReduction).toFixed(1)}%  test ${(100 * s.final.testAccuracy).toFixed(2)}%`,
    );
  });
} finally {
  client.close();
  await services.stop();
}
const order = (r: Result) => configs.findIndex((c) => c.criterion === r.criterion && c.policy === r.policy);
results.sort((a, b) => order(a) - order(b));
write();
process.exit(0);

function write() {
  const rows = results.map((r) => ({
    criterion: r.criterion,
    policy: r.policy,
    runId: r.runId,
    decisions: r.summary.decisions,
    wallMinutes: Number(r.wallMinutes.toFixed(1)),
    withoutLoss: r.summary.withoutLoss ?? null,
    iterations: r.summary.iterations.map((i) => ({
      iteration: i.index + 1,
      choice: i.choice,
      macsReduction: 1 - i.macs / base.macs,
      paramsReduction: 1 - i.params / base.params,
      validationAccuracy: i.validationAccuracy,
      testAccuracy: i.testAccuracy,
      testAccuracyDelta: i.testAccuracy - base.accuracy,
      layerSimilarity: i.layer?.similarity ?? null,
      headSimilarity: i.filter?.similarity ?? null,
      fineTuneSeconds: i.fineTuneSeconds,
    })),
  }));
  const wallMinutes = Number(((performance.now() - started) / 60_000).toFixed(1));
  const meta = {
    command,
    backend: `${backend.name} (${backend.detail})`,
    hardware,
    wallMinutes,
    architecture,
    baseline: {
      model: base.ref.uri,
      testAccuracy: base.accuracy,
      macs: base.macs,
      params: base.params,
      training: base.config,
      trainSeconds: base.trainSeconds,
    },
    budget: {
      iterations: n('iterations'),
      candidateSteps: n('candidate-steps'),
      selectedSteps: n('selected-steps'),
      fineTune: RUN_FINE_TUNE,
      calibration: n('calibration'),
      metric: `linear_cka (${RUN_DEFAULTS.validationExamples} validation images)`,
      test: '10,000 Fashion-MNIST test images',
    },
  };
  const pct = (x: number) => (100 * x).toFixed(2);
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;
  const table = [
    '| criterion | policy | decisions | MACs reduction % | params reduction % | test accuracy % | Δ (pts) | per-iteration Δ (pts) | no loss: MACs reduction % |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const last = r.iterations.at(-1)!;
      return `| ${r.criterion} | ${r.policy} | ${r.decisions} | ${pct(last.macsReduction)} | ${pct(last.paramsReduction)} | ${pct(last.testAccuracy)} | ${signed(last.testAccuracyDelta)} | ${r.iterations.map((i) => signed(i.testAccuracyDelta)).join(', ')} | ${r.withoutLoss ? `${pct(r.withoutLoss.macsReduction)} (iteration ${r.withoutLoss.iteration})` : '–'} |`;
    }),
  ].join('\n');
  // KL runs in strong colours, L1 runs in their lighter shades.
  const colors = ['#2e7d32', '#757575', '#1f5fbf', '#d9822b', '#81c784', '#bdbdbd', '#90b4f0', '#f0b47a'];
  const svg = deltaChartSvg(
    rows.map((r, i) => ({
      name: `${r.criterion} ${r.policy}`,
      color: colors[i % colors.length]!,
      iterations: r.iterations,
    })),
    'MACs reduction vs the trained Transformer',
  );
  const file = path.join(outDir, 'transformer-policies');
  writeFileAtomic(`${file}.json`, JSON.stringify({ ...meta, results: rows }, null, 2) + '\n');
  writeFileAtomic(`${file}.svg`, svg);
  const a = architecture;
  writeFileAtomic(
    `${file}.md`,
    [
      '# Transformer: encoder blocks (L) or attention heads (H)',
      '',
      `Parent: a pre-norm Transformer encoder (${a.blocks} blocks, ${a.heads} heads of size ${a.headDim}, width ${a.modelDim}, feed-forward ${a.feedForwardDim}; the paper's appendix C model has 10 blocks of 128 heads of size 64) trained from scratch on Fashion-MNIST read as sequences of 28 rows of 28 pixels, ${base.config.epochs} epochs (SGD, batch ${base.config.batchSize}, ${base.config.schedule} from ${base.config.learningRate}): **${pct(base.accuracy)}%** on the 10,000 test images, ${(base.macs / 1e6).toFixed(2)}M MACs (attention counted: projections, scores and weighted values), ${base.params} params.`,
      '',
      `Every run starts from it with ${n('iterations')} iterations; an L candidate removes one encoder block (attention and feed-forward sub-blocks), an H candidate as many heads as that block has (${a.heads} at first), spread over the layers by the criterion; ${n('candidate-steps')}-step candidate and ${n('selected-steps')}-step selected fine-tunes (batch ${RUN_FINE_TUNE.batchSize}, no augmentation); linear CKA on the pooled representation of ${RUN_DEFAULTS.validationExamples} validation images; KL on ${n('calibration')} calibration images; seed ${n('seed')}.`,
      '',
      table,
      '',
      `![accuracy delta vs MACs reduction](${path.basename(file)}.svg)`,
      '',
      `Command: \`${command}\`  `,
      `Backend: ${meta.backend}; hardware: ${hardware}; wall time ${wallMinutes} min (training the parent included${values.stamp ? `; this invocation's: its runs are stamped ${values.stamp}, so rerunning the command reports them, resuming any unfinished` : ''}).`,
      '',
    ].join('\n'),
  );
  console.log(`wrote ${file}.{json,md,svg}`);
}
