// A run as a report: the decision path, one row per iteration, and the final reductions against
// the initial model (MACs, params, test accuracy). Text for people, JSON for scripts.
import {
  CHOICE_NAMES,
  RUN_STATE_NAMES,
  type Choice,
  type RunState,
  type Candidate,
  type LayerWidth,
  type Run,
} from '@prune/contracts';

export interface RunSummary {
  id: string;
  state: string;
  stopReason: string;
  error: string;
  decisions: string;
  initial: { macs: number; params: number; testAccuracy: number; widths: LayerWidth[] };
  final: { macs: number; params: number; testAccuracy: number; model: string; widths: LayerWidth[] };
  macsReduction: number;
  paramsReduction: number;
  testAccuracyDelta: number;
  iterations: {
    index: number;
    choice: 'L' | 'F';
    layer?: CandidateSummary;
    filter?: CandidateSummary;
    macs: number;
    params: number;
    validationAccuracy: number;
    testAccuracy: number;
    model: string;
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
 * The decision as the paper writes it: L (layer candidate kept) or F (filter candidate kept). The
 * coordinator reports one of the two for every iteration; anything else reads as F, as a filter
 * candidate is the only other outcome an iteration has.
 */
export const choiceLetter = (choice: Choice): 'L' | 'F' => CHOICE_NAMES.name(choice) ?? 'F';

const candidate = (c: Candidate | undefined): CandidateSummary | undefined =>
  c && {
    similarity: c.similarity,
    validationAccuracy: c.validationAccuracy,
    macs: c.cost?.macs ?? 0,
    params: c.cost?.params ?? 0,
    removed: c.removed,
    removedScores: c.removedScores,
  };

export function summarizeRun(run: Run): RunSummary {
  const initial = {
    macs: run.initialCost?.macs ?? 0,
    params: run.initialCost?.params ?? 0,
    testAccuracy: run.initialTestAccuracy,
    widths: run.initialWidths,
  };
  const last = run.iterations.at(-1);
  // The result is the last model above the accuracy floor: not always the last iteration's.
  const resultIteration =
    run.iterations.find((i) => i.model?.uri && i.model.uri === run.resultModel?.uri) ??
    (run.resultModel ? undefined : last);
  const final = resultIteration
    ? {
        macs: resultIteration.cost?.macs ?? 0,
        params: resultIteration.cost?.params ?? 0,
        testAccuracy: resultIteration.testAccuracy,
        model: resultIteration.model?.uri ?? '',
        widths: resultIteration.widths,
      }
    : { ...initial, model: run.resultModel?.uri ?? run.config?.model?.uri ?? '' };
  const reduction = (before: number, after: number) => (before > 0 ? 1 - after / before : 0);
  return {
    id: run.id,
    state: stateName(run.state),
    stopReason: run.stopReason,
    error: run.error,
    decisions: run.iterations.map((i) => choiceLetter(i.choice)).join(' '),
    initial,
    final,
    macsReduction: reduction(initial.macs, final.macs),
    paramsReduction: reduction(initial.params, final.params),
    testAccuracyDelta: final.testAccuracy - initial.testAccuracy,
    iterations: run.iterations.map((i) => ({
      index: i.index,
      choice: choiceLetter(i.choice),
      layer: candidate(i.layerCandidate),
      filter: candidate(i.filterCandidate),
      macs: i.cost?.macs ?? 0,
      params: i.cost?.params ?? 0,
      validationAccuracy: i.validationAccuracy,
      testAccuracy: i.testAccuracy,
      model: i.model?.uri ?? '',
    })),
  };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : '-');
const num = (x: number | undefined, digits = 4) => (x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : '-');
const millions = (x: number) => `${(x / 1e6).toFixed(2)}M`;

export function formatRunReport(summary: RunSummary): string {
  const header = ['iter', 'choice', 'CKA L', 'CKA F', 'val L', 'val F', 'MACs', 'params', 'val acc', 'test acc'];
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
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd();
  const { initial, final } = summary;
  return [
    `run ${summary.id}: ${summary.state}${summary.stopReason ? ` (${summary.stopReason})` : ''}${summary.error ? `: ${summary.error}` : ''}`,
    '',
    line(header),
    ...rows.map(line),
    '',
    `decisions: ${summary.decisions || '(none)'}`,
    `MACs:      ${millions(initial.macs)} -> ${millions(final.macs)} (-${pct(summary.macsReduction)})`,
    `params:    ${millions(initial.params)} -> ${millions(final.params)} (-${pct(summary.paramsReduction)})`,
    `test acc:  ${pct(initial.testAccuracy)} -> ${pct(final.testAccuracy)} (${summary.testAccuracyDelta >= 0 ? '+' : ''}${(100 * summary.testAccuracyDelta).toFixed(2)} pts)`,
    `model:     ${final.model}`,
  ].join('\n');
}
