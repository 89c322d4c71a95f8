// A StartRun request's configuration: defaults for unset (proto3 zero) fields, and a clear
// INVALID_ARGUMENT naming the field for anything the walk cannot run with. Criteria and metrics
// are whatever the services offer (ListCriteria, Describe), not a list compiled in here.
import { DATASET_URIS, datasetInfo, isCsvFamily, isDatasetFamily } from '@prune/data';
import {
  assessmentSettingsFromMessage,
  FILTER_MATCH_NAMES,
  FilterMatch,
  resolveTrainConfigMessage,
  RunConfig,
  SELECTION_POLICY_NAMES,
  SelectionPolicy,
  TrainConfig,
  trainConfigMessage,
} from '@prune/contracts';
import { FINE_TUNE_STEPS, RUN_DEFAULTS, type FineTunePhase, type WalkConfig } from '@prune/pruning';
import { quoted, resolveParameters } from '@prune/errors';
import { invalidArgument } from '@prune/service-kit';
import type { Offering, PluginParameters } from './discovered.js';

/**
 * One of a run's fine-tunes, complete (so the run reports what it trains with) and checked now
 * rather than at the first fine-tune: unset fields take the trainer's defaults, the length this
 * phase's steps unless epochs are set, the seed the run's.
 */
function fineTune(
  given: TrainConfig | undefined,
  phase: FineTunePhase,
  field: string,
  seed: number,
  csv: boolean,
): TrainConfig {
  const message = TrainConfig.fromPartial(given ?? {});
  // A CSV's rows are features, not images: crops and flips would shift and reverse them.
  if (csv && message.augment)
    throw invalidArgument(`${field}.augment`, "image augmentation does not apply to a CSV's features; leave it unset");
  if (csv) message.augment = false;
  const length = { steps: message.steps || (message.epochs ? 0 : FINE_TUNE_STEPS[phase]), seed: message.seed || seed };
  return trainConfigMessage(resolveTrainConfigMessage({ ...message, ...length }, field));
}

export interface ValidatedRun {
  config: RunConfig;
  walk: WalkConfig;
}

/** What the services offer (name -> parameter names): criteria from ListCriteria, metrics from Describe. */
export interface Offered {
  criteria: Offering;
  /** Only needed (and only checked) when the policy compares candidates by similarity. */
  metrics: Offering;
}

/**
 * Refuses parameters the plug-in does not declare, and values outside their bounds (the service
 * holds their defaults), before the run starts.
 */
function checkParameters(
  field: string,
  plugin: string,
  given: Record<string, number>,
  declared: PluginParameters,
): void {
  resolveParameters(plugin, Object.fromEntries(declared.names.map((name) => [name, 0])), given, field, declared.bounds);
}

/** Upper bounds of a run's counts, far beyond sensible values: one request cannot tie up the system for years. */
export const RUN_LIMITS = { iterations: 1000, blocksPerIteration: 100, examples: 100_000 } as const;

/** Validates and completes a run configuration (the model reference is checked by the caller). */
export function validateRunConfig(given: RunConfig | undefined, offered: Offered): ValidatedRun {
  if (!given) throw invalidArgument('config', 'a run configuration is required');
  const config = RunConfig.fromPartial({
    ...given,
    criterion: given.criterion || RUN_DEFAULTS.criterion,
    metric: given.metric || RUN_DEFAULTS.metric,
    policy: given.policy || SelectionPolicy.SELECTION_POLICY_SIMILARITY,
    blocksPerIteration: given.blocksPerIteration || RUN_DEFAULTS.blocksPerIteration,
    filterMatch: given.filterMatch || FILTER_MATCH_NAMES.value(RUN_DEFAULTS.filterMatch),
    validationExamples: given.validationExamples || RUN_DEFAULTS.validationExamples,
  });
  if (!config.model?.uri)
    throw invalidArgument(
      'config.model.uri',
      "a model is required (a store:// URI, or a model file under the candidates service's PRUNE_MODEL_ROOTS)",
    );
  if (!config.dataset) throw invalidArgument('config.dataset', 'a dataset is required, e.g. "cifar10-jpeg"');
  let known: boolean;
  try {
    known = isDatasetFamily(config.dataset);
  } catch (error) {
    throw invalidArgument('config.dataset', (error as Error).message);
  }
  if (!known) {
    const families = [
      ...new Set(DATASET_URIS.filter((u) => u.endsWith(':train')).map((u) => u.replace(/:train$/, ''))),
    ];
    throw invalidArgument(
      'config.dataset',
      `${quoted(config.dataset)} is unknown; valid: ${families.join(', ')}, a path to a .tar.gz in the CIFAR-10 JPEG layout, or to a .csv[?label=<column>&steps=<n>]`,
    );
  }
  const criteria = Object.keys(offered.criteria);
  if (!criteria.includes(config.criterion)) {
    throw invalidArgument(
      'config.criterion',
      `${quoted(config.criterion)} is not offered by the criterion service; offered: ${criteria.join(', ') || 'none'}`,
    );
  }
  checkParameters(
    'config.criterion_parameters',
    config.criterion,
    config.criterionParameters,
    offered.criteria[config.criterion]!,
  );
  const policy = SELECTION_POLICY_NAMES.name(config.policy);
  if (!policy)
    throw invalidArgument(
      'config.policy',
      `${config.policy} is not a selection policy; valid: ${SELECTION_POLICY_NAMES.names.join(', ')}`,
    );
  if (policy === 'similarity') {
    const metrics = Object.keys(offered.metrics);
    if (!metrics.includes(config.metric)) {
      throw invalidArgument(
        'config.metric',
        `${quoted(config.metric)} is not offered by any registered similarity service; offered: ${metrics.join(', ') || 'none'}`,
      );
    }
    checkParameters(
      'config.metric_parameters',
      config.metric,
      config.metricParameters,
      offered.metrics[config.metric]!,
    );
  }
  for (const [field, value, max] of [
    ['max_iterations', config.maxIterations, RUN_LIMITS.iterations],
    ['blocks_per_iteration', config.blocksPerIteration, RUN_LIMITS.blocksPerIteration],
    ['calibration_examples', config.calibrationExamples, RUN_LIMITS.examples],
    ['validation_examples', config.validationExamples, RUN_LIMITS.examples],
    ['test_examples', config.testExamples, RUN_LIMITS.examples],
  ] as const) {
    if (value > max) throw invalidArgument(`config.${field}`, `must be at most ${max}, got ${value}`);
  }
  if (config.maxIterations === 0 && config.targetMacsReduction === 0) {
    throw invalidArgument('config.max_iterations', 'set max_iterations (at least 1) or a target_macs_reduction');
  }
  if (!(config.targetMacsReduction >= 0 && config.targetMacsReduction < 1))
    throw invalidArgument('config.target_macs_reduction', `must be in [0, 1), got ${config.targetMacsReduction}`);
  if (!(config.accuracyFloor >= 0 && config.accuracyFloor <= 1))
    throw invalidArgument('config.accuracy_floor', `must be in [0, 1], got ${config.accuracyFloor}`);
  const drop = config.maxValidationDrop;
  if (drop !== undefined && !(drop >= 0 && drop <= 1))
    throw invalidArgument('config.max_validation_drop', `must be in [0, 1], got ${drop}`);
  if (!(config.layerEpsilon >= 0))
    throw invalidArgument('config.layer_epsilon', `must not be negative, got ${config.layerEpsilon}`);
  if (!FilterMatch[config.filterMatch] || config.filterMatch < 0)
    throw invalidArgument('config.filter_match', `${config.filterMatch} is not a filter match`);
  const csv = isCsvFamily(config.dataset);
  if (config.skipCandidateFinetune && (given.candidateFinetune?.steps || given.candidateFinetune?.epochs))
    throw invalidArgument(
      'config.skip_candidate_finetune',
      'the candidates are not fine-tuned, yet candidate_finetune sets steps or epochs; drop one of the two',
    );
  config.candidateFinetune = fineTune(
    given.candidateFinetune,
    'candidate',
    'config.candidate_finetune',
    config.seed,
    csv,
  );
  config.selectedFinetune = fineTune(given.selectedFinetune, 'selected', 'config.selected_finetune', config.seed, csv);
  // Checked now; its seed is its own (not the run's), so runs of any seed are assessed on the same images.
  if (config.assessment) assessmentSettingsFromMessage(config.assessment, 'config.assessment');
  const walk: WalkConfig = {
    // Without an iteration limit the walk stops at the MACs target or when nothing is removable.
    maxIterations: config.maxIterations || 10_000,
    targetMacsReduction: config.targetMacsReduction,
    accuracyFloor: config.accuracyFloor,
    ...(drop === undefined ? {} : { maxValidationDrop: drop }),
    ...(config.skipCandidateFinetune ? { fineTuneCandidates: false } : {}),
    blocksPerIteration: config.blocksPerIteration,
    filterMatch: FILTER_MATCH_NAMES.name(config.filterMatch) ?? RUN_DEFAULTS.filterMatch,
    policy,
    layerEpsilon: config.layerEpsilon,
    seed: config.seed,
    chanceAccuracy: 1 / (datasetInfo(config.dataset)?.classes ?? Infinity),
  };
  return { config, walk };
}
