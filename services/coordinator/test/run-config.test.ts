// StartRun's configuration without a network: defaults for unset fields, explicit values kept
// (including an explicit false for the optional booleans), and errors that name the field.
import { describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import {
  AssessmentConfig,
  FilterMatch,
  LrSchedule,
  resolveTrainConfigMessage,
  RunConfig,
  SelectionPolicy,
  TrainConfig,
} from '@prune/contracts';
import { toServiceError } from '@prune/service-kit';
import { validateRunConfig } from '../src/run-config.js';

const minimal = (extra: Partial<RunConfig> = {}) =>
  RunConfig.fromPartial({ model: { uri: 'store://dirs/abc' }, dataset: 'cifar10-jpeg', maxIterations: 2, ...extra });
// What the services answer to ListCriteria and Describe in this test; `my_criterion` stands for one
// added to the criterion service only.
const plugin = (names: string[] = [], bounds = {}) => ({ names, bounds });
const offered = {
  criteria: { kl: plugin(), l1: plugin(), my_criterion: plugin(['depth'], { depth: { min: 1, integer: true } }) },
  metrics: { linear_cka: plugin(), rbf_cka_like: plugin(['threshold'], { threshold: { min: 0, minExclusive: true } }) },
};

describe('validateRunConfig', () => {
  it('fills the defaults of unset fields: the paper setting with step-counted fine-tunes', () => {
    const { config, walk } = validateRunConfig(minimal(), offered);
    expect(config).toMatchObject({
      criterion: 'kl',
      metric: 'linear_cka',
      policy: SelectionPolicy.SELECTION_POLICY_SIMILARITY,
      blocksPerIteration: 1,
      filterMatch: FilterMatch.FILTER_MATCH_COUNT,
      validationExamples: 1000,
    });
    const fineTune = {
      epochs: 0,
      batchSize: 128,
      learningRate: 0.01,
      momentum: 0.9,
      nesterov: true,
      weightDecay: 5e-4,
      augment: true,
      schedule: LrSchedule.LR_SCHEDULE_COSINE,
      seed: 0,
    };
    expect(config.candidateFinetune).toMatchObject({ ...fineTune, steps: 50 });
    expect(config.selectedFinetune).toMatchObject({ ...fineTune, steps: 200 });
    // the criterion service's own default (DEFAULT_CALIBRATION_EXAMPLES of @prune/criteria)
    expect(config.calibrationExamples).toBe(0);
    expect(walk).toMatchObject({ maxIterations: 2, policy: 'similarity', filterMatch: 'count', blocksPerIteration: 1 });
    expect(walk.chanceAccuracy).toBe(0.1); // CIFAR-10: a parent at chance level fails the run
  });

  it('fine-tunes as the trainer fine-tunes a request that sets only the length and seed', () => {
    const { config } = validateRunConfig(minimal({ seed: 4 }), offered);
    for (const fineTune of [config.candidateFinetune!, config.selectedFinetune!]) {
      const bare = TrainConfig.fromPartial({ steps: fineTune.steps, seed: 4 });
      expect(resolveTrainConfigMessage(fineTune, 'config')).toEqual(resolveTrainConfigMessage(bare, 'config'));
    }
  });

  it("translates every selection policy to the walk's, unset meaning similarity", () => {
    const policy = (p: SelectionPolicy) => validateRunConfig(minimal({ policy: p }), offered).walk.policy;
    expect(policy(SelectionPolicy.SELECTION_POLICY_UNSPECIFIED)).toBe('similarity');
    expect(policy(SelectionPolicy.SELECTION_POLICY_RANDOM)).toBe('random');
    expect(policy(SelectionPolicy.SELECTION_POLICY_LAYERS_ONLY)).toBe('layers-only');
    expect(policy(SelectionPolicy.SELECTION_POLICY_FILTERS_ONLY)).toBe('filters-only');
  });

  it('keeps what the request set, including augmentation and Nesterov turned off', () => {
    const { config } = validateRunConfig(
      minimal({
        selectedFinetune: {
          steps: 30,
          learningRate: 0.05,
          augment: false,
          nesterov: false,
        } as RunConfig['selectedFinetune'],
        candidateFinetune: { epochs: 1 } as RunConfig['candidateFinetune'],
      }),
      offered,
    );
    expect(config.selectedFinetune).toMatchObject({
      steps: 30,
      learningRate: 0.05,
      augment: false,
      nesterov: false,
      batchSize: 128,
    });
    // epochs set and steps not: train by epochs, not by the default step count
    expect(config.candidateFinetune).toMatchObject({ epochs: 1, steps: 0, augment: true });
  });

  it('takes the criteria and metrics the services offer, and checks the metric only when the policy compares', () => {
    expect(validateRunConfig(minimal({ criterion: 'my_criterion' }), offered).config.criterion).toBe('my_criterion');
    expect(() => validateRunConfig(minimal(), { ...offered, criteria: {} })).toThrow(
      'config.criterion: "kl" is not offered by the criterion service; offered: none',
    );
    const random = minimal({ policy: SelectionPolicy.SELECTION_POLICY_RANDOM, metric: 'not_deployed' });
    expect(validateRunConfig(random, { ...offered, metrics: {} }).walk.policy).toBe('random');
  });

  it('quotes only a short prefix of a huge or hostile name', () => {
    const huge = 'x'.repeat(5_000_000);
    let message = '';
    try {
      validateRunConfig(minimal({ metric: huge }), offered);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^config\.metric: "x{80}…" \(5000000 characters\) is not offered/);
    expect(message.length).toBeLessThan(300);
  });

  it('passes the parameters a plug-in declares, refusing others by name before the run starts', () => {
    const run = minimal({
      criterion: 'my_criterion',
      criterionParameters: { depth: 3 },
      metric: 'rbf_cka_like',
      metricParameters: { threshold: 0.5 },
    });
    expect(validateRunConfig(run, offered).config).toMatchObject({
      criterionParameters: { depth: 3 },
      metricParameters: { threshold: 0.5 },
    });
    expect(() => validateRunConfig(minimal({ criterionParameters: { depth: 3 } }), offered)).toThrow(
      'config.criterion_parameters.depth: kl has no parameters',
    );
    expect(() =>
      validateRunConfig(minimal({ metric: 'rbf_cka_like', metricParameters: { sigma: 1 } }), offered),
    ).toThrow('config.metric_parameters.sigma: rbf_cka_like has parameters threshold');
    // Values outside the bounds the plug-in declares are refused before any fine-tune runs.
    expect(() =>
      validateRunConfig(minimal({ metric: 'rbf_cka_like', metricParameters: { threshold: 0 } }), offered),
    ).toThrow('config.metric_parameters.threshold: rbf_cka_like takes a number > 0, got 0');
    expect(() =>
      validateRunConfig(minimal({ criterion: 'my_criterion', criterionParameters: { depth: 1.5 } }), offered),
    ).toThrow('config.criterion_parameters.depth: my_criterion takes a whole number >= 1, got 1.5');
  });

  it("stops below the initial model's validation accuracy only when asked (0 is the paper's protocol)", () => {
    expect(validateRunConfig(minimal({}), offered).walk.maxValidationDrop).toBeUndefined();
    expect(validateRunConfig(minimal({ maxValidationDrop: 0 }), offered).walk.maxValidationDrop).toBe(0);
    expect(() => validateRunConfig(minimal({ maxValidationDrop: 2 }), offered)).toThrow(
      'config.max_validation_drop: must be in [0, 1], got 2',
    );
  });

  it('fine-tunes the candidates before comparing them unless skip_candidate_finetune asks not to', () => {
    expect(validateRunConfig(minimal({}), offered).walk.fineTuneCandidates).toBeUndefined();
    expect(validateRunConfig(minimal({ skipCandidateFinetune: true }), offered).walk.fineTuneCandidates).toBe(false);
    expect(() =>
      validateRunConfig(
        minimal({ skipCandidateFinetune: true, candidateFinetune: TrainConfig.fromPartial({ steps: 20 }) }),
        offered,
      ),
    ).toThrow('config.skip_candidate_finetune: the candidates are not fine-tuned, yet candidate_finetune sets steps');
  });

  it('a CSV dataset: its options are checked at the start, and its features are never image-augmented', () => {
    const csv = minimal({ dataset: '/data/har.csv?steps=50' });
    const { config } = validateRunConfig(csv, offered);
    expect([config.candidateFinetune!.augment, config.selectedFinetune!.augment]).toEqual([false, false]);
    expect(validateRunConfig(minimal({}), offered).config.candidateFinetune!.augment).not.toBe(false);
    expect(() =>
      validateRunConfig(
        minimal({ dataset: '/data/har.csv', selectedFinetune: TrainConfig.fromPartial({ augment: true }) }),
        offered,
      ),
    ).toThrow("config.selected_finetune.augment: image augmentation does not apply to a CSV's features");
    expect(() => validateRunConfig(minimal({ dataset: '/data/har.csv?step=50' }), offered)).toThrow(
      /config.dataset: .*unknown option "step"; use label=<column>, steps=<n>/,
    );
  });

  it('assesses only when asked, on images drawn by its own seed (runs of any seed see the same ones)', () => {
    expect(validateRunConfig(minimal({}), offered).config.assessment).toBeUndefined();
    const asked = validateRunConfig(minimal({ seed: 7, assessment: AssessmentConfig.fromPartial({}) }), offered);
    expect(asked.config.assessment).toEqual(AssessmentConfig.fromPartial({}));
  });

  it('names the field of a bad value with INVALID_ARGUMENT', () => {
    const bad: [Partial<RunConfig>, RegExp][] = [
      [{ dataset: 'imagenet' }, /^config\.dataset: "imagenet" is unknown/],
      [
        { criterion: 'taylor' },
        /^config\.criterion: "taylor" is not offered by the criterion service; offered: kl, l1, my_criterion$/,
      ],
      [{ metric: 'rbf_cka' }, /^config\.metric: "rbf_cka" is not offered/],
      [{ maxIterations: 0 }, /^config\.max_iterations:/],
      [{ maxIterations: 4294967295 }, /^config\.max_iterations: must be at most 1000, got 4294967295$/],
      [{ validationExamples: 4294967295 }, /^config\.validation_examples: must be at most 100000/],
      [
        { candidateFinetune: { steps: 1, batchSize: 4294967295 } as RunConfig['candidateFinetune'] },
        /^config\.candidate_finetune\.batch_size: must be an integer in \[1, 4096\]/,
      ],
      [{ targetMacsReduction: 1 }, /^config\.target_macs_reduction: must be in \[0, 1\)/],
      [
        { selectedFinetune: { learningRate: -1 } as RunConfig['selectedFinetune'] },
        /^config\.selected_finetune\.learning_rate: must be a positive number up to 10, got -1$/,
      ],
      [
        { candidateFinetune: { momentum: 1.5 } as RunConfig['candidateFinetune'] },
        /^config\.candidate_finetune\.momentum: must be in \[0, 1\)/,
      ],
      [
        { assessment: { severities: [0] } as unknown as RunConfig['assessment'] },
        /^config\.assessment\.severities: must be 1\.\.5, got 0$/,
      ],
      [
        { assessment: { examples: 4294967295 } as unknown as RunConfig['assessment'] },
        /^config\.assessment\.examples: must be at most 100000/,
      ],
      [
        { policy: 9 as SelectionPolicy },
        /^config\.policy: 9 is not a selection policy; valid: similarity, random, layers-only, filters-only$/,
      ],
    ];
    for (const [extra, message] of bad) {
      let error: ReturnType<typeof toServiceError> | undefined;
      try {
        validateRunConfig(minimal(extra), offered);
      } catch (e) {
        error = toServiceError(e);
      }
      expect(error?.code, JSON.stringify(extra)).toBe(status.INVALID_ARGUMENT);
      expect(error?.details).toMatch(message);
    }
  });
});
