import { describe, expect, it } from 'vitest';
import { Phase, Run, RunState, SELECTION_POLICY_NAMES, type WatchRunResponse } from '@prune/contracts';
import type { CoordinatorClient } from '@prune/coordinator-client';
import { assessedRun, finishedRun, ITERATION_1_WIDTHS } from './fixtures.js';
import { formatRunReport, stateName, summarizeRun } from '../src/report.js';
import { followRun, runConfigFromFlags } from '../src/run-commands.js';
import { UsageError } from '../src/usage-error.js';

describe('run report', () => {
  const run = finishedRun();

  it('reports the reductions of the result model, which need not be the last iteration', () => {
    const summary = summarizeRun(run);
    expect(summary.decisions).toBe('L F');
    expect(summary.final.model).toBe('store://dirs/a');
    expect(summary.final.widths).toEqual(ITERATION_1_WIDTHS);
    expect(summary.macsReduction).toBeCloseTo(0.1, 12);
    expect(summary.paramsReduction).toBeCloseTo(10_000 / 270_000, 12);
    expect(summary.testAccuracyDelta).toBeCloseTo(-0.01, 12);
    expect(summary.iterations[1]!.filter!.validationAccuracy).toBeNaN();
  });

  it('writes H for a width candidate that removed attention heads (a Transformer), F for filters', () => {
    const heads = [1, 2].map((b) => ({ layer: `block${b}.attention`, filters: 8, unit: 'heads' }));
    const transformer = Run.fromPartial({
      ...run,
      initialWidths: heads,
      iterations: run.iterations.map((i) => ({ ...i, widths: heads })),
    });
    expect(summarizeRun(transformer).decisions).toBe('L H');
    const text = formatRunReport(summarizeRun(transformer));
    expect(text).toMatch(/^iter +choice +CKA L +CKA H +val L +val H/m);
    expect(text).toMatch(/^2 +H /m);
    // Records written before widths named their unit read as filters.
    const legacy = Run.fromPartial({ ...run, initialWidths: [{ layer: 'conv1', filters: 16 }] });
    expect(summarizeRun(legacy).decisions).toBe('L F');
  });

  it('prints a row per iteration and the totals', () => {
    const text = formatRunReport(summarizeRun(run));
    expect(text).toContain('run r1: succeeded (validation accuracy 0.4000 fell below the floor 0.5)');
    expect(text).toMatch(/^1 +L +0\.9500 +0\.9000 +80\.00% +- +36\.00M/m);
    expect(text).toContain('MACs:      40.00M -> 36.00M (-10.00%)');
    expect(text).toContain('test acc:  92.00% -> 91.00% (-1.00 pts)');
    // both kept models lost test accuracy against the initial 92%
    expect(text).toContain('no loss:   no kept model reached the initial test accuracy');
  });

  it('stands alone: the model it started from, every setting in readable names, the result and the wall time', () => {
    const text = formatRunReport(summarizeRun(run));
    expect(text).toContain('model:     store://dirs/a');
    expect(text).toContain(
      'source:    /models/resnet20.manifest.json on cifar10-jpeg, preprocessing as the model file says',
    );
    expect(text).toContain(
      'method:    policy similarity, criterion kl, metric rbf_cka (threshold=0.5), 1 block(s) per iteration, ' +
        'filters matched by count; stop at 2 iterations or validation accuracy below 50.0%',
    );
    expect(text).toContain(
      'budgets:   candidates 50 steps, selected 300 steps (batch 64, learning rate 0.01 cosine); ' +
        'images: calibration 128, validation 1000, test all; seed 7',
    );
    expect(text).toContain('wall time: 6.1 min');
    expect(text).not.toMatch(/SELECTION_POLICY|FILTER_MATCH|LR_SCHEDULE/);
    expect(summarizeRun(run)).toMatchObject({ wallSeconds: 366, settings: { policy: 'similarity', seed: 7 } });
  });

  it('of an assessed run: robustness, latency, inference and fine-tune CO2 of the parent and every kept model', () => {
    const text = formatRunReport(summarizeRun(assessedRun())).split('\n');
    const table = text.slice(text.findIndex((l) => l.startsWith('model ')));
    expect(table[0]).toMatch(
      /^model +MACs +clean +fgsm 1 +pgd 1 +corrupt +ms b64 +mg CO2\/1k +CO2 vs parent +fine-tune Wh +fine-tune g CO2$/,
    );
    expect(table[1]).toMatch(/^parent +40\.00M +92\.00% +46\.00% +23\.00% +77\.00% +40\.00 .* +0\.0% +- +-$/);
    // 600 s x 12 W x 1.1 = 2.2 Wh; 0.0022 kWh x 475 g/kWh = 1.045 g
    expect(table[2]).toMatch(/^iteration 1 \(L\) +36\.00M +91\.00% .* +30\.00 .* +-25\.0% +2\.200 +1\.045$/);
    expect(table[3]).toMatch(/^iteration 2 \(F\) +30\.00M +61\.00% .* +20\.00 .* +-50\.0% +2\.200 +1\.045$/);
    expect(text).toContain('inference CO2 assumes 2 CPU core(s) at 12 W each, PUE 1.1, 475 g/kWh (world)');
    expect(text).toContain('note: CIFAR-10.2 is not available offline (nothing downloads): not assessed');
    // JSON names corruptions as CIFAR-10-C does
    expect(summarizeRun(assessedRun()).iterations[0]!.assessment!.corruptions[1]!.corruption).toBe('pixelate');
    expect(formatRunReport(summarizeRun(finishedRun()))).not.toContain('fgsm');
  });

  it("reports the paper's figure: the most reduced kept model at or above the initial test accuracy", () => {
    const run = finishedRun();
    run.iterations[0]!.testAccuracy = 0.93; // 10% fewer MACs, +1 point
    run.iterations[1]!.testAccuracy = 0.92; // 25% fewer MACs, +0 points: the one reported
    // ... unless it is the model that fell below the floor and stopped the run (not a kept model)
    expect(summarizeRun(run).withoutLoss).toMatchObject({ iteration: 1, macsReduction: expect.closeTo(0.1, 9) });
    run.resultModel = run.iterations[1]!.model;
    const summary = summarizeRun(run);
    expect(summary.withoutLoss).toEqual({ iteration: 2, macsReduction: 0.25, testAccuracyDelta: 0 });
    expect(formatRunReport(summary)).toContain(
      'no loss:   -25.00% MACs at +0.00 pts (iteration 2: the most reduced model at or above the initial test accuracy)',
    );
  });

  it('a run with no iterations reports the initial model', () => {
    const summary = summarizeRun(
      Run.fromPartial({
        id: 'r0',
        state: RunState.RUN_STATE_RUNNING,
        initialCost: { macs: 10, params: 5 },
        initialTestAccuracy: 0.9,
      }),
    );
    expect(summary).toMatchObject({
      decisions: '',
      macsReduction: 0,
      paramsReduction: 0,
      testAccuracyDelta: 0,
      state: 'running',
    });
  });
});

describe('prune run flags', () => {
  it('maps flags onto the run configuration and leaves the rest to the coordinator', () => {
    const { config, runId } = runConfigFromFlags([
      '--model',
      'm.json',
      '--data',
      'cifar10-jpeg',
      '--policy',
      'filters-only',
      '--iterations',
      '4',
      '--selected-steps',
      '300',
      '--run-id',
      'x1',
    ]);
    expect(config).toMatchObject({
      dataset: 'cifar10-jpeg',
      policy: 4,
      maxIterations: 4,
      selectedFinetune: { steps: 300 },
      metric: undefined,
    });
    expect(config.model!.uri).toMatch(/^\/.*m\.json$/);
    expect(runId).toBe('x1');
    expect(config.selectedFinetune!.augment).toBeUndefined(); // the coordinator's default: on
    expect(runConfigFromFlags(['--model', 'm', '--data', 'd', '--no-augment']).config.candidateFinetune).toMatchObject({
      augment: false,
    });
    expect(runConfigFromFlags(['--model', 'm', '--data', 'd']).config.skipCandidateFinetune).toBeUndefined();
    const skipped = runConfigFromFlags(['--model', 'm', '--data', 'd', '--no-candidate-finetune']).config;
    expect(skipped.skipCandidateFinetune).toBe(true);
    const text = formatRunReport(
      summarizeRun(
        Run.fromPartial({ ...finishedRun(), config: { ...finishedRun().config, skipCandidateFinetune: true } }),
      ),
    );
    expect(text).toContain('budgets:   candidates compared without fine-tuning, selected');
    const withParameters = runConfigFromFlags([
      '--model',
      'm',
      '--data',
      'd',
      '--metric',
      'rbf_cka',
      '--metric-param',
      'threshold=0.5',
      '--criterion-param',
      'p=1',
      '--criterion-param',
      'q=2',
    ]);
    expect(withParameters.config).toMatchObject({
      metricParameters: { threshold: 0.5 },
      criterionParameters: { p: 1, q: 2 },
    });
    expect(() => runConfigFromFlags(['--model', 'm', '--data', 'd', '--metric-param', 'threshold'])).toThrow(
      '--metric-param: expected name=number, got "threshold"',
    );
  });

  it("asks the run to assess its models only with --assess (the trainer's defaults unless --assess-examples)", () => {
    expect(runConfigFromFlags(['--model', 'm', '--data', 'd']).config.assessment).toBeUndefined();
    expect(runConfigFromFlags(['--model', 'm', '--data', 'd', '--assess']).config.assessment).toEqual({
      examples: undefined,
    });
    const sized = runConfigFromFlags(['--model', 'm', '--data', 'd', '--assess', '--assess-examples', '200']);
    expect(sized.config.assessment).toEqual({ examples: 200 });
    expect(() => runConfigFromFlags(['--model', 'm', '--data', 'd', '--assess-examples', '200'])).toThrow(
      '--assess-examples: only with --assess',
    );
    expect(() => runConfigFromFlags(['--model', 'm', '--data', 'd', '--assess', '--assess-examples', '1.5'])).toThrow(
      '--assess-examples: expected a positive integer, got 1.5',
    );
  });

  it('sends each policy as the one the coordinator walks by that name', () => {
    for (const name of ['similarity', 'random', 'layers-only', 'filters-only']) {
      const { policy } = runConfigFromFlags(['--model', 'm', '--data', 'd', '--policy', name]).config;
      expect(SELECTION_POLICY_NAMES.name(policy!)).toBe(name); // how the coordinator reads it
    }
  });

  it('refuses what the coordinator could not run, naming the flag', () => {
    expect(() => runConfigFromFlags(['--data', 'cifar10-jpeg'])).toThrow(/--model/);
    expect(() => runConfigFromFlags(['--model', 'm', '--data', 'd', '--policy', 'greedy'])).toThrow(
      '--policy: expected one of similarity, random, layers-only, filters-only, got "greedy"',
    );
    expect(() => runConfigFromFlags(['--model', 'm', '--data', 'd', '--policy', 'greedy'])).toThrow(UsageError);
    expect(() => runConfigFromFlags(['--model', 'm', '--data', 'd', '--iterations=-1'])).toThrow(
      /--iterations: expected a non-negative number/,
    );
  });
});

describe('following a run', () => {
  it('shows each phase and state by the name people read', async () => {
    const events: WatchRunResponse['event'][] = [
      { $case: 'phase', value: { iteration: 0, phase: Phase.PHASE_ASSESS, progress: 0, detail: '' } },
      { $case: 'run', value: Run.fromPartial({ id: 'r', initialCost: { macs: 10 } }) },
      { $case: 'phase', value: { iteration: 0, phase: Phase.PHASE_SCORE, progress: 0, detail: '' } },
      {
        $case: 'phase',
        value: { iteration: 0, phase: Phase.PHASE_FINE_TUNE_CANDIDATES, progress: 0.5, detail: 'step 25/50' },
      },
      { $case: 'phase', value: { iteration: 0, phase: Phase.PHASE_ASSESS, progress: 0, detail: '' } },
      { $case: 'run', value: Run.fromPartial({ id: 'r', state: RunState.RUN_STATE_SUCCEEDED }) },
    ];
    const client = {
      get: async () => Run.fromPartial({ id: 'r', state: RunState.RUN_STATE_RUNNING }),
      watch: async function* () {
        yield* events;
      },
    };
    const written: string[] = [];
    const out = { isTTY: false, write: (text: string) => written.push(text) };
    const run = await followRun(client as unknown as CoordinatorClient, 'r', out as unknown as NodeJS.WriteStream);
    expect(written).toEqual([
      'initial model: assess\n',
      'iteration 1: score\n',
      'iteration 1: fine-tune candidates\n',
      'iteration 1: assess\n',
    ]);
    expect(stateName(run.state)).toBe('succeeded');
  });
});
