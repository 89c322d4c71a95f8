// Algorithm 1 of the paper as a loop over abstract operations ("ports"), so the same walk runs
// in one process (libs directly) or in the coordinator (through the services' contracts).
// Each iteration: score, make a layer and a filter candidate, fine-tune both briefly, compare
// each with the parent on validation data, keep one (by policy), fine-tune it longer, evaluate
// (and, when the ports can, assess its robustness and cost: the parent's too).
import { seededRandom } from '@prune/data';
import { costOf, type ModelCost } from './cost.js';
import type { LayerWidth } from './layer-width.js';
import type { FilterBudget, ScoredBlock, ScoredFilter } from './candidates.js';
import { FailedPreconditionError } from '@prune/errors';

export type SelectionPolicy = 'similarity' | 'random' | 'layers-only' | 'filters-only';
export type Choice = 'L' | 'F';
/** The two fine-tunes of an iteration: each candidate's short one, the kept candidate's longer one. */
export type FineTunePhase = 'candidate' | 'selected';
/**
 * The steps of an iteration, in order, as progress events name them (and people read them); a
 * step the policy or the model does not need is skipped. The coordinator sends them as the Phase enum.
 */
export type WalkPhase =
  | 'score'
  | 'layer candidate'
  | 'filter candidate'
  | 'fine-tune candidates'
  | 'compare'
  | 'fine-tune selected'
  | 'evaluate'
  | 'assess';

export interface WalkConfig {
  maxIterations: number;
  /** Stop once MACs are reduced by this fraction of the initial model's (0 = no target). */
  targetMacsReduction: number;
  /** Stop when validation accuracy falls below this; the last model above it is the result (0 = none). */
  accuracyFloor: number;
  /**
   * Stop when validation accuracy falls more than this below the initial model's; the last model
   * above is the result. 0 is the paper's protocol (prune until below the unpruned model); unset: none.
   */
  maxValidationDrop?: number;
  blocksPerIteration: number;
  filterMatch: 'count' | 'macs';
  policy: SelectionPolicy;
  /** Prefer the layer candidate unless the filter candidate is more similar by more than this. */
  layerEpsilon: number;
  seed: number;
  /**
   * The accuracy of guessing (1 / classes). A parent, or a kept model, within 1.5x of it fails the
   * run: its preprocessing, data or fine-tune is broken, and a "pruned" result would mean nothing.
   * 0: no check.
   */
  chanceAccuracy: number;
  /** False: the similarity policy compares the candidates right after surgery (default true). */
  fineTuneCandidates?: boolean;
}

/** Validation accuracy at or below this is "at chance level" for `chanceAccuracy`. */
const atChance = (accuracy: number, chanceAccuracy: number) => chanceAccuracy > 0 && accuracy <= 1.5 * chanceAccuracy;

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

export interface CandidateRecord<M> extends ModelCost {
  model: M;
  /** Removed block ids, or "group:channel" of removed filters. */
  removed: string[];
  /** The criterion's score of each removed structure (same order as `removed`). */
  removedScores: number[];
  /** Similarity to the parent on validation data (NaN when the policy did not need it). */
  similarity: number;
  /** Validation accuracy after the short fine-tune (NaN when the policy did not fine-tune it). */
  validationAccuracy: number;
}

export interface IterationRecord<M, A = unknown> extends ModelCost {
  index: number;
  layer?: CandidateRecord<M>;
  filter?: CandidateRecord<M>;
  choice: Choice;
  model: M;
  validationAccuracy: number;
  testAccuracy: number;
  /** The kept model's convolutions and their filters. */
  widths: LayerWidth[];
  /** Seconds this iteration's fine-tunes computed (both candidates' and the kept one's; NaN: unknown). */
  fineTuneSeconds: number;
  /** The kept model's assessment, when the ports assess. */
  assessment?: A;
}

/** A fine-tuned model and the seconds its steps computed (what its energy is estimated from). */
export interface FineTuned<M> {
  model: M;
  seconds: number;
}

export interface WalkPorts<M, A = unknown> {
  cost(model: M): Promise<ModelCost>;
  widths(model: M): Promise<LayerWidth[]>;
  removableBlocks(model: M): Promise<number>;
  /** How many filters a filter candidate may remove at most (each prunable group keeps one). */
  removableFilters(model: M): Promise<number>;
  scoreBlocks(model: M): Promise<ScoredBlock[]>;
  scoreFilters(model: M): Promise<ScoredFilter[]>;
  layerCandidate(
    parent: M,
    scores: ScoredBlock[],
    blocks: number,
  ): Promise<{ model: M; removed: string[]; removedFilters: number }>;
  filterCandidate(parent: M, scores: ScoredFilter[], budget: FilterBudget): Promise<{ model: M; removed: string[] }>;
  /** `jobId` is unique per fine-tune of a run: the trainer keys its checkpoints by it, so a retried job resumes. */
  fineTune(model: M, phase: FineTunePhase, jobId: string): Promise<FineTuned<M>>;
  similarity(parent: M, child: M): Promise<number>;
  accuracy(model: M, split: 'validation' | 'test'): Promise<number>;
  /** Robustness, latency and energy of a model; without it the walk assesses nothing. */
  assess?(model: M): Promise<A>;
}

export type WalkEvent<M, A = unknown> =
  | ({ type: 'start'; testAccuracy: number; widths: LayerWidth[]; assessment?: A } & ModelCost)
  | { type: 'phase'; iteration: number; name: WalkPhase }
  | { type: 'iteration'; record: IterationRecord<M, A> }
  | { type: 'done'; result: M; stopReason: string; iterations: IterationRecord<M, A>[] };

/** The rule that picks a candidate: ties (and near-ties within epsilon) go to the layer candidate. */
export function chooseCandidate(
  policy: SelectionPolicy,
  layerSimilarity: number,
  filterSimilarity: number,
  layerEpsilon: number,
  random: () => number,
): Choice {
  switch (policy) {
    case 'layers-only':
      return 'L';
    case 'filters-only':
      return 'F';
    case 'random':
      return random() < 0.5 ? 'L' : 'F';
    case 'similarity':
      return filterSimilarity > layerSimilarity + layerEpsilon ? 'F' : 'L';
  }
}

/**
 * Runs the walk from `initial`. The walk is deterministic given the ports' answers, which is what
 * lets a run resume: replaying it over journaled ports (step-journal.ts) skips the finished steps.
 */
export async function* greedyWalk<M, A = unknown>(
  initial: M,
  config: WalkConfig,
  ports: WalkPorts<M, A>,
  runId = 'run',
): AsyncGenerator<WalkEvent<M, A>> {
  const random = seededRandom(config.seed);
  const initialCost = costOf(await ports.cost(initial));
  const dropFloor = config.maxValidationDrop !== undefined;
  const initialValidation = config.chanceAccuracy > 0 || dropFloor ? await ports.accuracy(initial, 'validation') : NaN;
  if (config.chanceAccuracy > 0) {
    if (atChance(initialValidation, config.chanceAccuracy)) {
      throw new FailedPreconditionError(
        `the parent model scores ${pct(initialValidation)} on validation data, chance level is ${pct(config.chanceAccuracy)}: ` +
          'its preprocessing or the dataset is probably wrong for it; nothing was pruned',
      );
    }
  }
  const testAccuracy = await ports.accuracy(initial, 'test');
  const widths = await ports.widths(initial);
  // The parent's assessment, reported as iteration 0's "assess" phase (it can take minutes).
  if (ports.assess) yield { type: 'phase', iteration: 0, name: 'assess' };
  const assessment = ports.assess ? { assessment: await ports.assess(initial) } : {};
  yield { type: 'start', ...initialCost, testAccuracy, widths, ...assessment };
  const iterations: IterationRecord<M, A>[] = [];
  let parent = initial;
  let result = parent;
  let stopReason = `reached ${config.maxIterations} iterations`;
  for (let index = 0; index < config.maxIterations; index++) {
    const parentCost = await ports.cost(parent);
    if (config.targetMacsReduction > 0 && 1 - parentCost.macs / initialCost.macs >= config.targetMacsReduction) {
      stopReason = `reached the MACs reduction target of ${config.targetMacsReduction}`;
      break;
    }
    const wantLayer = config.policy !== 'filters-only';
    const wantFilter = config.policy !== 'layers-only';
    const blocks = Math.min(config.blocksPerIteration, await ports.removableBlocks(parent));
    const filtersLeft = wantFilter ? await ports.removableFilters(parent) : 0;
    if ((!wantLayer || blocks === 0) && filtersLeft === 0) {
      stopReason = wantFilter ? 'nothing removable left' : 'no removable block left';
      break;
    }
    yield { type: 'phase', iteration: index, name: 'score' };
    const blockScores = blocks > 0 ? await ports.scoreBlocks(parent) : [];
    const filterScores = filtersLeft > 0 ? await ports.scoreFilters(parent) : [];
    let layer: CandidateRecord<M> | undefined;
    let filter: CandidateRecord<M> | undefined;
    let layerFilters = 0;
    let layerMacs = 0;
    if (blocks > 0) {
      yield { type: 'phase', iteration: index, name: 'layer candidate' };
      const made = await ports.layerCandidate(parent, blockScores, blocks);
      const cost = costOf(await ports.cost(made.model));
      layerFilters = made.removedFilters;
      layerMacs = parentCost.macs - cost.macs;
      const score = new Map(blockScores.map((s) => [s.id, s.score]));
      if (wantLayer)
        layer = {
          model: made.model,
          ...cost,
          removed: made.removed,
          removedScores: made.removed.map((id) => score.get(id) ?? NaN),
          similarity: NaN,
          validationAccuracy: NaN,
        };
    }
    if (filtersLeft > 0) {
      yield { type: 'phase', iteration: index, name: 'filter candidate' };
      // Match the layer candidate: as many filters as its blocks had (the paper's rule) or, with
      // filterMatch 'macs', as many MACs; under 'filters-only' it is made only to size this budget.
      // With no removable block left there is nothing to match, and one filter is removed; never
      // more than the parent has left.
      const budget: FilterBudget =
        config.filterMatch === 'macs' && layerMacs > 0
          ? { macs: layerMacs }
          : { filters: Math.min(filtersLeft, Math.max(1, layerFilters)) };
      const made = await ports.filterCandidate(parent, filterScores, budget);
      const score = new Map(filterScores.map((s) => [`${s.id}:${s.channel}`, s.score]));
      filter = {
        model: made.model,
        ...costOf(await ports.cost(made.model)),
        removed: made.removed,
        removedScores: made.removed.map((id) => score.get(id) ?? NaN),
        similarity: NaN,
        validationAccuracy: NaN,
      };
    }
    if (!layer && !filter) {
      stopReason = 'nothing removable left';
      break;
    }
    let choice: Choice;
    let fineTuneSeconds = 0;
    if (layer && filter && config.policy === 'similarity') {
      if (config.fineTuneCandidates !== false) {
        yield { type: 'phase', iteration: index, name: 'fine-tune candidates' };
        const tuned = await Promise.all([
          ports.fineTune(layer.model, 'candidate', `${runId}-it${index}-candidate-L`),
          ports.fineTune(filter.model, 'candidate', `${runId}-it${index}-candidate-F`),
        ]);
        [layer.model, filter.model] = tuned.map((t) => t.model);
        fineTuneSeconds = tuned[0].seconds + tuned[1].seconds;
      }
      yield { type: 'phase', iteration: index, name: 'compare' };
      layer.similarity = await ports.similarity(parent, layer.model);
      filter.similarity = await ports.similarity(parent, filter.model);
      layer.validationAccuracy = await ports.accuracy(layer.model, 'validation');
      filter.validationAccuracy = await ports.accuracy(filter.model, 'validation');
      choice = chooseCandidate(config.policy, layer.similarity, filter.similarity, config.layerEpsilon, random);
    } else {
      choice =
        layer && filter ? chooseCandidate(config.policy, NaN, NaN, config.layerEpsilon, random) : layer ? 'L' : 'F';
    }
    const chosen = (choice === 'L' ? layer : filter)!;
    yield { type: 'phase', iteration: index, name: 'fine-tune selected' };
    const selected = await ports.fineTune(chosen.model, 'selected', `${runId}-it${index}-selected-${choice}`);
    const model = selected.model;
    yield { type: 'phase', iteration: index, name: 'evaluate' };
    const record: IterationRecord<M, A> = {
      index,
      ...(layer ? { layer } : {}),
      ...(filter ? { filter } : {}),
      choice,
      model,
      ...costOf(chosen),
      validationAccuracy: await ports.accuracy(model, 'validation'),
      testAccuracy: await ports.accuracy(model, 'test'),
      widths: await ports.widths(model),
      fineTuneSeconds: fineTuneSeconds + selected.seconds,
    };
    if (ports.assess) {
      yield { type: 'phase', iteration: index, name: 'assess' };
      record.assessment = await ports.assess(model);
    }
    iterations.push(record);
    yield { type: 'iteration', record };
    if (config.accuracyFloor > 0 && record.validationAccuracy < config.accuracyFloor) {
      stopReason = `validation accuracy ${record.validationAccuracy.toFixed(4)} fell below the floor ${config.accuracyFloor}`;
      break;
    }
    if (dropFloor && record.validationAccuracy < initialValidation - config.maxValidationDrop!) {
      stopReason =
        `validation accuracy ${record.validationAccuracy.toFixed(4)} fell more than ${config.maxValidationDrop} ` +
        `below the initial model's ${initialValidation.toFixed(4)}`;
      break;
    }
    if (atChance(record.validationAccuracy, config.chanceAccuracy)) {
      throw new FailedPreconditionError(
        `iteration ${index + 1}'s model scores ${pct(record.validationAccuracy)} on validation data, chance level is ` +
          `${pct(config.chanceAccuracy)}: fine-tuning broke it (lower the learning rate) or the cut was too deep; ` +
          'set an accuracy floor to stop before such a model instead',
      );
    }
    parent = model;
    result = model;
  }
  yield { type: 'done', result, stopReason, iterations };
}
