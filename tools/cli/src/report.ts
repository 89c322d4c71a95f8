// A run as a report: the decision path, one row per iteration, and the final reductions against
// the initial model (MACs, params, test accuracy), with what the run was (its model, data and
// every setting, in readable names), where its result is and how long it took. Text for people,
// JSON for scripts; the HTML report renders the same summary.
import {
  assessmentFromMessage,
  CHOICE_NAMES,
  FILTER_MATCH_NAMES,
  RUN_STATE_NAMES,
  SELECTION_POLICY_NAMES,
  trainConfigFromMessage,
  type Choice,
  type RunConfig,
  type RunState,
  type Candidate,
  type LayerWidth,
  type Run,
} from '@prune/contracts';
import { RUN_DEFAULTS } from '@prune/pruning';
import { formatAssessmentTable, type AssessedModel } from './assessment-table.js';
import { textTable } from './text-table.js';

/** A run's configuration as people name things (the coordinator fills every default in). */
export interface RunSettings {
  /** The model as the run was given it (a file path or store:// URI). */
  model: string;
  dataset: string;
  preprocessing: string;
  policy: string;
  criterion: string;
  criterionParameters: Record<string, number>;
  metric: string;
  metricParameters: Record<string, number>;
  maxIterations: number;
  targetMacsReduction: number;
  accuracyFloor: number;
  /** Undefined: not a stop condition of the run. */
  maxValidationDrop?: number;
  blocksPerIteration: number;
  filterMatch: string;
  layerEpsilon: number;
  candidateFinetune: ReturnType<typeof trainConfigFromMessage>;
  /** The candidates were compared right after surgery (RunConfig.skip_candidate_finetune). */
  skipCandidateFinetune: boolean;
  selectedFinetune: ReturnType<typeof trainConfigFromMessage>;
  /** 0: the criterion's default. */
  calibrationExamples: number;
  validationExamples: number;
  /** 0: the whole test split. */
  testExamples: number;
  seed: number;
}

export interface RunSummary {
  id: string;
  state: string;
  settings: RunSettings;
  createdAt: string;
  updatedAt: string;
  /** From the run's start to its last update. */
  wallSeconds: number;
  stopReason: string;
  error: string;
  decisions: string;
  initial: {
    macs: number;
    params: number;
    testAccuracy: number;
    widths: LayerWidth[];
    /** When the run assessed its models (RunConfig.assessment). */
    assessment?: AssessedModel['assessment'];
  };
  final: { macs: number; params: number; testAccuracy: number; model: string; widths: LayerWidth[] };
  macsReduction: number;
  paramsReduction: number;
  testAccuracyDelta: number;
  /**
   * The figure the paper's tables report: the kept model with the largest MACs reduction whose test
   * accuracy is at least the initial model's (undefined when none is).
   */
  withoutLoss?: { iteration: number; macsReduction: number; testAccuracyDelta: number };
  iterations: {
    index: number;
    choice: 'L' | 'F' | 'H';
    layer?: CandidateSummary;
    filter?: CandidateSummary;
    macs: number;
    params: number;
    validationAccuracy: number;
    testAccuracy: number;
    model: string;
    /** Seconds the iteration's fine-tunes computed (NaN: not known). */
    fineTuneSeconds: number;
    assessment?: AssessedModel['assessment'];
  }[];
}

interface CandidateSummary {
  similarity: number;
  validationAccuracy: number;
  macs: number;
  params: number;
  removed: string[];
  removedScores: number[];
}

export const stateName = (state: RunState): string => RUN_STATE_NAMES.name(state) ?? 'unknown';

/**
 * The decision as the paper writes it: L (layer candidate kept) or F (filter candidate kept), H
 * when the width candidate removed attention heads (`widths`: a model's widths, the run's initial
 * ones for its whole record, whose units say so). The coordinator reports one of the two for every
 * iteration; anything else reads as the width candidate, the only other outcome an iteration has.
 */
export function choiceLetter(choice: Choice, widths: LayerWidth[] = []): 'L' | 'F' | 'H' {
  return CHOICE_NAMES.name(choice) === 'L' ? 'L' : widthLetter(widths);
}

/** The letter of a model's width candidate: H when its widths count attention heads, else F. */
export const widthLetter = (widths: LayerWidth[]): 'F' | 'H' => (widths.some((w) => w.unit === 'heads') ? 'H' : 'F');

const candidate = (c: Candidate | undefined): CandidateSummary | undefined =>
  c && {
    similarity: c.similarity,
    validationAccuracy: c.validationAccuracy,
    macs: c.cost?.macs ?? 0,
    params: c.cost?.params ?? 0,
    removed: c.removed,
    removedScores: c.removedScores,
  };

function runSettings(c: RunConfig | undefined): RunSettings {
  const fineTune = (m: RunConfig['candidateFinetune']) => (m ? trainConfigFromMessage(m) : {});
  return {
    model: c?.model?.uri ?? '',
    dataset: c?.dataset ?? '',
    preprocessing: c?.preprocessing || 'as the model file says',
    policy: (c && SELECTION_POLICY_NAMES.name(c.policy)) ?? 'similarity',
    criterion: c?.criterion ?? '',
    criterionParameters: c?.criterionParameters ?? {},
    metric: c?.metric ?? '',
    metricParameters: c?.metricParameters ?? {},
    maxIterations: c?.maxIterations ?? 0,
    targetMacsReduction: c?.targetMacsReduction ?? 0,
    accuracyFloor: c?.accuracyFloor ?? 0,
    maxValidationDrop: c?.maxValidationDrop,
    blocksPerIteration: c?.blocksPerIteration ?? 0,
    filterMatch: (c && FILTER_MATCH_NAMES.name(c.filterMatch)) ?? RUN_DEFAULTS.filterMatch,
    layerEpsilon: c?.layerEpsilon ?? 0,
    candidateFinetune: fineTune(c?.candidateFinetune),
    skipCandidateFinetune: c?.skipCandidateFinetune ?? false,
    selectedFinetune: fineTune(c?.selectedFinetune),
    calibrationExamples: c?.calibrationExamples ?? 0,
    validationExamples: c?.validationExamples ?? 0,
    testExamples: c?.testExamples ?? 0,
    seed: c?.seed ?? 0,
  };
}

export function summarizeRun(run: Run): RunSummary {
  const initial = {
    macs: run.initialCost?.macs ?? 0,
    params: run.initialCost?.params ?? 0,
    testAccuracy: run.initialTestAccuracy,
    widths: run.initialWidths,
    ...(run.initialAssessment ? { assessment: assessmentFromMessage(run.initialAssessment) } : {}),
  };
  const last = run.iterations.at(-1);
  // The result is the last model above the accuracy floor: not always the last iteration's.
  const resultIteration =
    run.iterations.find((i) => i.model?.uri && i.model.uri === run.resultModel?.uri) ??
    (run.resultModel ? undefined : last);
  const { assessment: _, ...initialFacts } = initial;
  const final = resultIteration
    ? {
        macs: resultIteration.cost?.macs ?? 0,
        params: resultIteration.cost?.params ?? 0,
        testAccuracy: resultIteration.testAccuracy,
        model: resultIteration.model?.uri ?? '',
        widths: resultIteration.widths,
      }
    : { ...initialFacts, model: run.resultModel?.uri ?? run.initialModel?.uri ?? '' };
  const reduction = (before: number, after: number) => (before > 0 ? 1 - after / before : 0);
  // Kept models only: not one after the result (the one that fell below a floor and stopped the run).
  const kept = resultIteration ? run.iterations.filter((i) => i.index <= resultIteration.index) : [];
  const withoutLoss = kept
    .filter((i) => i.cost && i.testAccuracy >= initial.testAccuracy)
    .map((i) => ({
      iteration: i.index + 1,
      macsReduction: reduction(initial.macs, i.cost?.macs ?? 0),
      testAccuracyDelta: i.testAccuracy - initial.testAccuracy,
    }))
    .sort((a, b) => b.macsReduction - a.macsReduction)[0];
  const wallSeconds = (Date.parse(run.updatedAt) - Date.parse(run.createdAt)) / 1000;
  return {
    id: run.id,
    state: stateName(run.state),
    settings: runSettings(run.config),
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    wallSeconds: Number.isFinite(wallSeconds) ? wallSeconds : 0,
    stopReason: run.stopReason,
    error: run.error,
    decisions: run.iterations.map((i) => choiceLetter(i.choice, run.initialWidths)).join(' '),
    initial,
    final,
    macsReduction: reduction(initial.macs, final.macs),
    paramsReduction: reduction(initial.params, final.params),
    testAccuracyDelta: final.testAccuracy - initial.testAccuracy,
    ...(withoutLoss ? { withoutLoss } : {}),
    iterations: run.iterations.map((i) => ({
      index: i.index,
      choice: choiceLetter(i.choice, run.initialWidths),
      layer: candidate(i.layerCandidate),
      filter: candidate(i.filterCandidate),
      macs: i.cost?.macs ?? 0,
      params: i.cost?.params ?? 0,
      validationAccuracy: i.validationAccuracy,
      testAccuracy: i.testAccuracy,
      model: i.model?.uri ?? '',
      fineTuneSeconds: i.fineTuneSeconds,
      ...(i.assessment ? { assessment: assessmentFromMessage(i.assessment) } : {}),
    })),
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : '-');
const num = (x: number | undefined, digits = 4) => (x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : '-');
const millions = (x: number) => `${(x / 1e6).toFixed(2)}M`;
const signedPoints = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)} pts`;

export function formatRunReport(summary: RunSummary): string {
  const w = widthLetter(summary.initial.widths);
  const header = ['iter', 'choice', 'CKA L', `CKA ${w}`, 'val L', `val ${w}`, 'MACs', 'params', 'val acc', 'test acc'];
  const rows = summary.iterations.map((i) => [
    String(i.index + 1),
    i.choice,
    num(i.layer?.similarity),
    num(i.filter?.similarity),
    pct(i.layer?.validationAccuracy ?? NaN),
    pct(i.filter?.validationAccuracy ?? NaN),
    millions(i.macs),
    millions(i.params),
    pct(i.validationAccuracy),
    pct(i.testAccuracy),
  ]);
  const { initial, final } = summary;
  return [
    `run ${summary.id}: ${summary.state}${summary.stopReason ? ` (${summary.stopReason})` : ''}${summary.error ? `: ${summary.error}` : ''}`,
    '',
    ...textTable(header, rows),
    '',
    `decisions: ${summary.decisions || '(none)'}`,
    `MACs:      ${millions(initial.macs)} -> ${millions(final.macs)} (-${pct(summary.macsReduction)})`,
    `params:    ${millions(initial.params)} -> ${millions(final.params)} (-${pct(summary.paramsReduction)})`,
    `test acc:  ${pct(initial.testAccuracy)} -> ${pct(final.testAccuracy)} (${signedPoints(summary.testAccuracyDelta)})`,
    `no loss:   ${
      summary.withoutLoss
        ? `-${pct(summary.withoutLoss.macsReduction)} MACs at ${signedPoints(summary.withoutLoss.testAccuracyDelta)} ` +
          `(iteration ${summary.withoutLoss.iteration}: the most reduced model at or above the initial test accuracy)`
        : 'no kept model reached the initial test accuracy'
    }`,
    `model:     ${final.model}`,
    ...describeSettings(summary.settings),
    `wall time: ${(summary.wallSeconds / 60).toFixed(1)} min`,
    ...(summary.initial.assessment ? ['', formatAssessmentTable(assessedModels(summary))] : []),
  ].join('\n');
}

/** The parent and each kept model the run assessed, in order (empty when it assessed none). */
export function assessedModels(summary: RunSummary): AssessedModel[] {
  if (!summary.initial.assessment) return [];
  return [
    { model: 'parent', macs: summary.initial.macs, assessment: summary.initial.assessment },
    ...summary.iterations.flatMap((i) =>
      i.assessment
        ? [
            {
              model: `iteration ${i.index + 1} (${i.choice})`,
              macs: i.macs,
              assessment: i.assessment,
              fineTuneSeconds: i.fineTuneSeconds,
            },
          ]
        : [],
    ),
  ];
}

const parameters = (name: string, values: Record<string, number>) => {
  const list = Object.entries(values).map(([k, v]) => `${k}=${v}`);
  return list.length ? `${name} (${list.join(', ')})` : name;
};

/** The settings as report lines: where the model came from, the method's choices, the budgets. */
export function describeSettings(s: RunSettings): string[] {
  const fineTune = (label: string, f: RunSettings['candidateFinetune']) =>
    `${label} ${f.steps ? `${f.steps} steps` : `${f.epochs ?? 0} epochs`}`;
  const { candidateFinetune: c } = s;
  const stops = [
    s.maxIterations ? `${s.maxIterations} iterations` : '',
    s.targetMacsReduction ? `MACs -${(100 * s.targetMacsReduction).toFixed(0)}%` : '',
    s.accuracyFloor ? `validation accuracy below ${(100 * s.accuracyFloor).toFixed(1)}%` : '',
    s.maxValidationDrop === undefined
      ? ''
      : `validation accuracy more than ${(100 * s.maxValidationDrop).toFixed(1)} pts below the initial model's`,
  ].filter(Boolean);
  return [
    `source:    ${s.model} on ${s.dataset}, preprocessing ${s.preprocessing}`,
    `method:    policy ${s.policy}, criterion ${parameters(s.criterion, s.criterionParameters)}, metric ` +
      `${parameters(s.metric, s.metricParameters)}, ${s.blocksPerIteration} block(s) per iteration, filters matched ` +
      `by ${s.filterMatch}${s.layerEpsilon ? `, layer epsilon ${s.layerEpsilon}` : ''}; stop at ${stops.join(' or ') || 'nothing left to remove'}`,
    `budgets:   ${s.skipCandidateFinetune ? 'candidates compared without fine-tuning' : fineTune('candidates', c)}, ` +
      `${fineTune('selected', s.selectedFinetune)} (batch ${c.batchSize}, ` +
      `learning rate ${c.learningRate} ${c.schedule}${c.augment === false ? ', no augmentation' : ''}` +
      `${c.distillationWeight ? `, distilled from the original model at weight ${c.distillationWeight}, T ${c.distillationTemperature}` : ''}` +
      `${(c.dataParallelReplicas ?? 1) > 1 ? `, ${c.dataParallelReplicas} data-parallel replicas` : ''}` +
      '); images: calibration ' +
      `${s.calibrationExamples || 'criterion default'}, validation ${s.validationExamples}, test ${s.testExamples || 'all'}; seed ${s.seed}`,
  ];
}
