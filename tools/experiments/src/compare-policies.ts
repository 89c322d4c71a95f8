// Does similarity-guided selection beat the alternatives? Runs the whole system on loopback and,
// per model: fine-tunes the pretrained network on the JPEG CIFAR-10 training split (the baseline),
// then prunes the baseline with each selection policy (similarity, random with several seeds,
// layers-only, filters-only) through the coordinator, with identical criterion, metric, budgets
// and seeds.
// Writes docs/results/<model>-policies.{json,md,svg}: after every iteration the MACs and params
// reductions, the test accuracy delta versus the baseline, and the decision. With --assess N the
// runs assess the baseline and every kept model on N test images (FGSM/PGD, corruptions), and the
// baseline and each final model are timed afterwards, one at a time on a quiet machine (latency,
// inference CO2), next to the energy of each run's fine-tunes. --criteria, --metrics,
// --candidate-steps and --filter-match take lists too: the same machinery then runs ablations
// (variants.ts), written to docs/results/<model>-<--name>[-seeds].*.
//   npm run compare-policies -- --models resnet20-12fca82f --iterations 4 --candidate-steps 20 --selected-steps 100
//   npm run compare-policies -- --policies similarity --criteria kl,l1,random --seeds 0,1,2 --name criteria
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { activeEngine } from '@prune/compute';
import { criteria } from '@prune/criteria';
import { similarityMetrics } from '@prune/similarity-metrics';
import { FILTER_MATCH_NAMES, SELECTION_POLICY_NAMES } from '@prune/contracts';
import { CIFAR10_SPLIT_SIZES, openDataset, sharedDir, VALIDATION_SIZE } from '@prune/data';
import { estimateEnergy, defaultEnergyAssumptions } from '@prune/assessment';
import { loadModel, loadModelArtifact, measureLatency, modelCost, putModelArtifact } from '@prune/models';
import { CoordinatorClient } from '@prune/coordinator-client';
import { epochsOf, RUN_DEFAULTS } from '@prune/pruning';
import { startLocalServices } from '@prune/service-kit';
import { writeFileAtomic } from '@prune/store';
import { DEFAULT_TRAIN_CONFIG, evaluateModel, resolveTrainConfig, trainModel } from '@prune/training';
import { assessedModels, type RunSummary } from '@prune/cli';
import { deltaChartSvg } from './delta-chart.js';
import { summarizeSeeds, type GroupSummary, type MeanStd } from './seed-statistics.js';
import { experimentContext } from './experiment-context.js';
import { runToEnd, type FollowedRun } from './follow-run.js';
import { runQueue } from './run-queue.js';
import { experimentRunId, variantFactors, variedFactors, type Variant } from './variants.js';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: 'resnet20-12fca82f' },
    iterations: { type: 'string', default: '4' },
    'baseline-steps': { type: 'string', default: '300' },
    // Lists of policies, criteria, metrics, candidate steps and filter matches. Each value is
    // varied alone, the others at their list's first value (one factor at a time, as an ablation does).
    policies: { type: 'string', default: 'similarity,random,layers-only,filters-only' },
    criteria: { type: 'string', default: RUN_DEFAULTS.criterion },
    metrics: { type: 'string', default: RUN_DEFAULTS.metric },
    'candidate-steps': { type: 'string', default: '20' },
    // What the filter candidate matches the layer candidate in: count (the paper's rule) or macs.
    'filter-match': { type: 'string', default: RUN_DEFAULTS.filterMatch },
    'selected-steps': { type: 'string', default: '100' },
    'blocks-per-iteration': { type: 'string', default: String(RUN_DEFAULTS.blocksPerIteration) },
    calibration: { type: 'string', default: '128' },
    'random-seeds': { type: 'string', default: '0,1,2' },
    // Every variant once per seed (replaces --random-seeds): means, standard deviations, error bars.
    seeds: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
    // Test images each assessment uses; unset: no assessment. Its attack budgets in pixel levels.
    assess: { type: 'string' },
    epsilons: { type: 'string', default: '1,4' },
    // Reuse the run ids of an earlier invocation (their yyyymmddhhmm suffix): StartRun returns an
    // existing run unchanged, so finished runs are only reported and unfinished ones, resumed by the
    // coordinator from their journals, are followed to the end. Variants keep their run ids across
    // invocations, so an ablation with the same stamp reuses the runs it shares with another.
    stamp: { type: 'string' },
    // The results files' name: docs/results/<model>-<name>[-seeds].{json,md,svg}.
    name: { type: 'string', default: 'policies' },
    out: { type: 'string', default: 'docs/results' },
  },
});
const { repo, outDir, storeDir, store, backend, command, hardware } = await experimentContext(
  'compare-policies',
  values.out!,
);
const n = (key: keyof typeof values) => Number(values[key]);
const list = (key: 'policies' | 'criteria' | 'metrics' | 'candidate-steps' | 'filter-match') =>
  values[key]!.split(',').map((v) => v.trim());

const LISTS = {
  policies: list('policies'),
  criteria: list('criteria'),
  metrics: list('metrics'),
  candidateSteps: list('candidate-steps').map(Number),
  filterMatches: list('filter-match'),
};
// Checked before the baseline's fine-tune (StartRun would refuse them only after it).
for (const [option, given, known] of [
  ['policies', LISTS.policies, SELECTION_POLICY_NAMES.names],
  ['criteria', LISTS.criteria, criteria().map((c) => c.name)],
  ['metrics', LISTS.metrics, similarityMetrics().map((m) => m.name)],
  ['filter-match', LISTS.filterMatches, FILTER_MATCH_NAMES.names],
] as const)
  for (const name of given)
    if (!(known as readonly string[]).includes(name))
      throw new Error(`--${option}: unknown ${name}; expected some of ${known.join(', ')}`);
const FACTORS = variantFactors(LISTS);
const seeds = values.seeds?.split(',').map(Number);
/** Each run: its label, variant and seed; `group` is the variant its seeds are averaged under. */
const RUNS: (Variant & { name: string; seed: number })[] = seeds
  ? FACTORS.flatMap((v) => seeds.map((seed) => ({ ...v, name: `${v.group} (seed ${seed})`, seed })))
  : FACTORS.flatMap((v) =>
      v.policy === 'random'
        ? values['random-seeds']!.split(',').map((s) => ({ ...v, name: `${v.group} (seed ${s})`, seed: Number(s) }))
        : [{ ...v, name: v.group, seed: 0 }],
    );
const seeded = Boolean(values.seeds);
const [BASE] = FACTORS as [Variant];
/** The runs' fine-tunes: batch 64 to fit the budget, every other hyper-parameter a run's default. */
const RUN_BATCH_SIZE = 64;
const describeFineTune = (c: { batchSize: number; schedule: string; learningRate: number }) =>
  `batch ${c.batchSize}, ${c.schedule} from ${c.learningRate}`;
const COLORS = ['#2e7d32', '#9e9e9e', '#b0b0b0', '#c8c8c8', '#1f5fbf', '#d9822b'];

/** The baseline: the pretrained model fine-tuned on the training split, stored, with its test accuracy. */
async function baseline(name: string) {
  const started = performance.now();
  const { model, metadata } = await loadModel(path.join(sharedDir(), `models/resnet-cifar10/${name}.manifest.json`));
  const [train, test] = await Promise.all([openDataset('cifar10-jpeg:train'), openDataset('cifar10-jpeg:test')]);
  const pretrained = (await evaluateModel(model, metadata, test)).accuracy;
  const config = resolveTrainConfig({ steps: n('baseline-steps'), seed: 0 });
  await trainModel({
    model,
    metadata,
    data: train,
    config,
    checkpointDir: path.join(storeDir, 'baselines', `${name}-${config.steps}-steps`),
    progressEverySteps: 50,
    onProgress: (p) => console.error(`  baseline ${name}: step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(3)}`),
  });
  const accuracy = (await evaluateModel(model, metadata, test)).accuracy;
  const ref = await putModelArtifact(store, model, metadata);
  const { macs, params } = modelCost(model);
  model.dispose();
  console.log(
    `${name}: pretrained ${(100 * pretrained).toFixed(2)}% -> baseline ${(100 * accuracy).toFixed(2)}% on ${test.count} JPEG test images (${config.steps} steps, ${((performance.now() - started) / 60_000).toFixed(1)} min)`,
  );
  return { ref, pretrained, accuracy, macs, params, config };
}

interface PolicyResult extends FollowedRun {
  policy: string;
  group: string;
  /** ONNX Runtime milliseconds per batch of 1 and of 64 of the final model, measured after every run. */
  latency?: { b1: number; b64: number };
}

/** ONNX Runtime latency of a stored model at batch 1 and 64 (median of 50 warm runs), nothing else running. */
async function latencyOf(ref: { uri: string; sha256: string }) {
  const { model } = await loadModelArtifact(store, ref, 'model');
  try {
    const { measurements } = await measureLatency(model, { runs: 50 });
    const ms = (batch: number) =>
      measurements.find((m) => m.engine === 'onnxruntime-cpu' && m.batch === batch)!.medianMs;
    return { b1: ms(1), b64: ms(64) };
  } finally {
    model.dispose();
  }
}

async function comparePolicies(name: string) {
  const started = performance.now();
  const base = await baseline(name);
  const services = await startLocalServices(path.join(repo, 'services'), {
    env: { PRUNE_STORE_DIR: storeDir },
    trainers: 2,
    log: console.error,
  });
  const client = new CoordinatorClient(services.coordinator);
  const results: PolicyResult[] = [];
  try {
    const stamp = values.stamp ?? new Date().toISOString().slice(0, 16).replace(/[-:T]/g, '');
    await runQueue(RUNS, n('concurrency'), async (next) => {
      const runId = experimentRunId(name, next.name, stamp);
      const followed = await runToEnd(
        client,
        {
          model: base.ref,
          dataset: 'cifar10-jpeg',
          policy: SELECTION_POLICY_NAMES.parse(next.policy)!,
          criterion: next.criterion,
          metric: next.metric,
          maxIterations: n('iterations'),
          blocksPerIteration: n('blocks-per-iteration'),
          seed: next.seed,
          calibrationExamples: n('calibration'),
          validationExamples: RUN_DEFAULTS.validationExamples,
          testExamples: 10_000,
          // 0 candidate steps: candidates compared right after surgery (the paper's ablation).
          ...(next.candidateSteps > 0
            ? { candidateFinetune: { steps: next.candidateSteps, batchSize: RUN_BATCH_SIZE } }
            : { skipCandidateFinetune: true }),
          selectedFinetune: { steps: n('selected-steps'), batchSize: RUN_BATCH_SIZE },
          filterMatch: FILTER_MATCH_NAMES.parse(next.filterMatch)!,
          // Latency is measured afterwards, one model at a time: here another run trains beside it.
          ...(values.assess
            ? {
                assessment: {
                  examples: n('assess'),
                  epsilonLevels: values.epsilons!.split(',').map(Number),
                  latency: false,
                },
              }
            : {}),
        },
        runId,
        next.name,
      );
      const { summary } = followed;
      results.push({ policy: next.name, group: next.group, ...followed });
      console.log(
        `${name} ${next.name}: ${summary.decisions}  MACs -${(100 * summary.macsReduction).toFixed(1)}%  test ${(100 * summary.final.testAccuracy).toFixed(2)}%`,
      );
    });
  } finally {
    client.close();
    await services.stop();
  }
  results.sort((a, b) => RUNS.findIndex((p) => p.name === a.policy) - RUNS.findIndex((p) => p.name === b.policy));
  let baselineLatency: PolicyResult['latency'];
  if (values.assess) {
    console.error('timing the baseline and each final model in ONNX Runtime, one at a time');
    baselineLatency = await latencyOf(base.ref);
    for (const r of results) r.latency = await latencyOf({ uri: r.summary.final.model, sha256: '' });
  }
  write(name, base, results, (performance.now() - started) / 60_000, baselineLatency);
}

function write(
  name: string,
  base: Awaited<ReturnType<typeof baseline>>,
  results: PolicyResult[],
  wallMinutes: number,
  baselineLatency?: PolicyResult['latency'],
) {
  const rows = results.map((r) => ({
    policy: r.policy,
    runId: r.runId,
    decisions: r.summary.decisions,
    wallMinutes: Number(r.wallMinutes.toFixed(1)),
    iterations: r.summary.iterations.map((i) => ({
      iteration: i.index + 1,
      choice: i.choice,
      macsReduction: 1 - i.macs / base.macs,
      paramsReduction: 1 - i.params / base.params,
      testAccuracy: i.testAccuracy,
      testAccuracyDelta: i.testAccuracy - base.accuracy,
      layerSimilarity: i.layer?.similarity ?? null,
      filterSimilarity: i.filter?.similarity ?? null,
      fineTuneSeconds: i.fineTuneSeconds,
      ...(i.assessment ? { assessment: i.assessment } : {}),
    })),
    ...(r.latency ? { onnxRuntimeMs: r.latency } : {}),
  }));
  const assessed = results[0] ? assessedModels(results[0].summary)[0]?.assessment : undefined;
  const meta = {
    model: name,
    command,
    backend: `${backend.name} (${backend.detail})`,
    hardware,
    wallMinutes: Number(wallMinutes.toFixed(1)),
    budget: {
      iterations: n('iterations'),
      blocksPerIteration: n('blocks-per-iteration'),
      baselineSteps: n('baseline-steps'),
      candidateSteps: LISTS.candidateSteps,
      filterMatch: LISTS.filterMatches,
      selectedSteps: n('selected-steps'),
      batchSize: RUN_BATCH_SIZE,
      criteria: LISTS.criteria,
      calibrationImages: n('calibration'),
      metrics: LISTS.metrics,
      validationImages: RUN_DEFAULTS.validationExamples,
      test: '10,000 JPEG test images',
    },
    baseline: {
      ...(assessed ? { assessment: assessed } : {}),
      ...(baselineLatency ? { onnxRuntimeMs: baselineLatency } : {}),
      model: base.ref.uri,
      pretrainedTestAccuracy: base.pretrained,
      testAccuracy: base.accuracy,
      macs: base.macs,
      params: base.params,
      fineTune: base.config,
    },
  };
  const pct = (x: number) => `${(100 * x).toFixed(2)}`;
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;
  const table = [
    '| policy | decisions | MACs reduction % | params reduction % | test accuracy % | Δ vs baseline (pts) | per-iteration Δ (pts) |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const last = r.iterations.at(-1)!;
      return `| ${r.policy} | ${r.decisions} | ${pct(last.macsReduction)} | ${pct(last.paramsReduction)} | ${pct(last.testAccuracy)} | ${signed(last.testAccuracyDelta)} | ${r.iterations.map((i) => signed(i.testAccuracyDelta)).join(', ')} |`;
    }),
  ].join('\n');
  const groups = summarizeSeeds(
    results.map((r, i) => ({ group: r.group, decisions: r.summary.decisions, iterations: rows[i]!.iterations })),
    MATCHED_MACS,
  );
  const svg = seeded
    ? meanChartSvg(groups)
    : deltaChartSvg(
        rows.map((r, i) => ({ name: r.policy, color: COLORS[i % COLORS.length]!, iterations: r.iterations })),
        'MACs reduction vs baseline',
      );
  const base_ = path.join(outDir, `${name.split('-')[0]}-${values.name}${seeded ? '-seeds' : ''}`);
  const trainCount = CIFAR10_SPLIT_SIZES.train - VALIDATION_SIZE['cifar10-jpeg']!;
  const epochs = (steps: number) => epochsOf(steps, RUN_BATCH_SIZE, trainCount).toFixed(3);
  writeFileAtomic(`${base_}.json`, JSON.stringify({ ...meta, results: rows }, null, 2) + '\n');
  writeFileAtomic(`${base_}.svg`, svg);
  writeFileAtomic(
    `${base_}.md`,
    [
      `# ${name}: ${variedFactors(LISTS).join(', ') || 'one variant'} compared`,
      '',
      `Baseline: the pretrained ${name} fine-tuned for ${base.config.steps} steps (${describeFineTune(base.config)}) on the JPEG CIFAR-10 training split: test accuracy ${pct(base.pretrained)}% -> **${pct(base.accuracy)}%** (10,000 JPEG test images), ${(base.macs / 1e6).toFixed(2)}M MACs, ${base.params} params.`,
      '',
      `Every run starts from that baseline with ${n('iterations')} iterations of ${n('blocks-per-iteration')} block(s) or as many filters and ${n('selected-steps')}-step selected fine-tunes (${epochs(n('selected-steps'))} epoch of the ${trainCount} training images; ${describeFineTune({ ...DEFAULT_TRAIN_CONFIG, batchSize: RUN_BATCH_SIZE })}). ${referenceText(epochs)} ${seeded ? `Each variant ran with seeds ${values.seeds} (the seed draws the calibration images, orders the fine-tuning data and, for random, the choices).` : `Seed 0 (random: seeds ${values['random-seeds']}).`}`,
      '',
      ...(seeded ? [seedTables(groups), ''] : []),
      table,
      '',
      ...(assessed && baselineLatency ? [assessmentTable(results, assessed, baselineLatency), ''] : []),
      `![accuracy delta vs MACs reduction](${path.basename(base_)}.svg)`,
      '',
      `Command: \`${command}\`  `,
      `Backend: ${meta.backend}; hardware: ${hardware}; wall time ${meta.wallMinutes} min (baseline included${values.stamp ? `; this invocation's: its runs are stamped ${values.stamp}, so rerunning the command reports them, resuming any unfinished` : ''}).`,
      '',
    ].join('\n'),
  );
  console.log(`wrote ${base_}.{json,md,svg}`);
}

/** The reference variant's settings; every other variant differs from it in the one factor its name says. */
function referenceText(epochs: (steps: number) => string): string {
  const steps = BASE.candidateSteps;
  return (
    `Unless its name says otherwise, a run uses the ${BASE.criterion} criterion on ${n('calibration')} calibration images, ` +
    `the ${BASE.metric} metric on ${RUN_DEFAULTS.validationExamples.toLocaleString('en-US')} validation images and ` +
    (steps > 0 ? `${steps}-step candidate fine-tunes (${epochs(steps)} epoch).` : 'no candidate fine-tunes.')
  );
}

/** MACs reductions at which seeded policies are compared (each run interpolated along its curve). */
const MATCHED_MACS = [0.1, 0.2, 0.3, 0.4, 0.5];
const GROUP_COLORS: Record<string, string> = {
  similarity: '#2e7d32',
  random: '#9e9e9e',
  'layers-only': '#1f5fbf',
  'filters-only': '#d9822b',
};

/** Each policy's mean over seeds per iteration and at matched MACs, with standard deviations. */
function seedTables(groups: GroupSummary[]): string {
  const pm = (x: MeanStd | undefined, scale = 100) =>
    x
      ? `${(scale * x.mean).toFixed(2)} ± ${(scale * x.std).toFixed(2)}${x.n < groups[0]!.decisions.length ? ` (${x.n})` : ''}`
      : '–';
  return [
    'Mean ± standard deviation over seeds (in brackets: how many runs reached that point, when not all):',
    '',
    '| policy | decisions per seed | per iteration: MACs reduction % / Δ vs baseline (pts) |',
    '|---|---|---|',
    ...groups.map(
      (g) =>
        `| ${g.group} | ${g.decisions.join('; ')} | ${g.iterations.map((i) => `${pm(i.macsReduction)} / ${pm(i.testAccuracyDelta)}`).join('<br>')} |`,
    ),
    '',
    'Test accuracy Δ vs baseline (pts) at matched MACs reductions:',
    '',
    `| policy | ${MATCHED_MACS.map((m) => `${(100 * m).toFixed(0)}% fewer MACs`).join(' | ')} |`,
    `|---|${MATCHED_MACS.map(() => '---').join('|')}|`,
    ...groups.map((g) => `| ${g.group} | ${g.matched.map((m) => pm(m.testAccuracyDelta)).join(' | ')} |`),
  ].join('\n');
}

/** Each policy's mean curve over seeds, with error bars of one standard deviation of the accuracy delta. */
function meanChartSvg(groups: GroupSummary[]): string {
  return deltaChartSvg(
    groups.map((g, i) => ({
      name: `${g.group} (mean ± sd)`,
      color: GROUP_COLORS[g.group] ?? COLORS[i % COLORS.length]!,
      iterations: g.iterations.map((i) => ({
        macsReduction: i.macsReduction.mean,
        testAccuracyDelta: i.testAccuracyDelta.mean,
      })),
      errors: g.iterations.map((i) => i.testAccuracyDelta.std),
    })),
    'MACs reduction vs baseline (mean over seeds)',
  );
}

type Assessed = NonNullable<RunSummary['initial']['assessment']>;

/**
 * Robustness and cost of the baseline and each policy's final model: accuracy clean, under attack
 * and on corruptions (the runs' assessments, the same test images for all), ONNX Runtime latency and
 * inference CO2 (timed one model at a time), and the energy of each run's fine-tunes.
 */
function assessmentTable(results: PolicyResult[], baseline: Assessed, baselineLatency: { b1: number; b64: number }) {
  const inference = defaultEnergyAssumptions('onnxruntime-cpu');
  const training = baseline.training ?? defaultEnergyAssumptions(activeEngine());
  const attacks = baseline.adversarial.map((a) => `${a.attack.toUpperCase()} ${Math.round(a.epsilon * 255)}/255 %`);
  const co2 = (ms: number) => estimateEnergy((1000 / 64) * (ms / 1000), inference).gramsCo2 * 1000;
  const row = (label: string, a: Assessed, latency: { b1: number; b64: number }, fineTuneSeconds?: number) => {
    const tuned =
      fineTuneSeconds === undefined || !Number.isFinite(fineTuneSeconds)
        ? undefined
        : estimateEnergy(fineTuneSeconds, training);
    return `| ${[
      label,
      (100 * a.clean).toFixed(2),
      ...a.adversarial.map((x) => (100 * x.accuracy).toFixed(2)),
      a.meanCorruptionAccuracy === undefined ? '–' : (100 * a.meanCorruptionAccuracy).toFixed(2),
      latency.b1.toFixed(2),
      latency.b64.toFixed(1),
      `${(baselineLatency.b64 / latency.b64).toFixed(2)}x`,
      co2(latency.b64).toFixed(3),
      tuned ? `${(tuned.kilowattHours * 1000).toFixed(2)} Wh / ${tuned.gramsCo2.toFixed(2)} g` : '–',
    ].join(' | ')} |`;
  };
  const header = [
    'model',
    'clean %',
    ...attacks,
    'corruptions %',
    'ms b1',
    'ms b64',
    'speed-up b64',
    'mg CO2 / 1k images',
    "fine-tunes' energy / CO2",
  ];
  const rows = results.flatMap((r) => {
    const final = r.summary.iterations.find((i) => i.model === r.summary.final.model);
    if (!final?.assessment || !r.latency) return [];
    // NaN (unknown) when any iteration's seconds are: a run recorded before they were kept.
    const seconds = r.summary.iterations.reduce((sum, i) => sum + i.fineTuneSeconds, 0);
    return [row(`${r.policy} (${r.summary.decisions})`, final.assessment, r.latency, seconds)];
  });
  return [
    `Robustness and cost of each policy's final model on ${baseline.examples} test images (the same for all): `,
    'accuracy clean, under FGSM and PGD (budgets in pixel levels), mean over the CIFAR-10-C corruptions assessed; ',
    'ONNX Runtime latency (median of 50 warm runs, each model timed alone after the runs); inference CO2 per 1,000 ',
    "images at batch 64, and the energy of all of a run's fine-tunes (the seconds they computed), as the ML Impact Calculator ",
    'estimates them:',
    '',
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    row('baseline', baseline, baselineLatency),
    ...rows,
    '',
    `Inference assumes ${inference.device}, PUE ${inference.pue}, ${inference.gramsCo2PerKwh} g/kWh (${inference.grid}); ` +
      `fine-tunes ${training.device}, PUE ${training.pue}, ${training.gramsCo2PerKwh} g/kWh. ${baseline.notes.join('; ')}.`,
  ].join('\n');
}

for (const name of values.models!.split(',')) await comparePolicies(name.trim());
process.exit(0);
