// The two candidates of an iteration, made by surgery: the parent without its least important
// residual block(s), and the parent without a matching amount of its least important filters.
// The candidates service serves these; which filters to take is the walk's pure rule (chooseFilters).
import type { tfl } from '@prune/compute';
import {
  findFilterGroups,
  findResidualBlocks,
  LayerGraph,
  modelCost,
  removeFilters,
  removeResidualBlocks,
} from '@prune/models';
import { BudgetError, chooseFilters, type FilterBudget, type ScoredBlock, type ScoredFilter } from '@prune/pruning';

export interface Candidate {
  model: tfl.LayersModel;
  /** Removed block ids, or "group:channel" of removed filters. */
  removed: string[];
  removedFilters: number;
  macs: number;
}

/** Removes the `count` lowest-scored removable blocks. */
export async function makeLayerCandidate(
  parent: tfl.LayersModel,
  scores: ScoredBlock[],
  count: number,
): Promise<Candidate> {
  const removable = new Set(findResidualBlocks(LayerGraph.of(parent)).map((b) => b.id));
  if (!Number.isInteger(count) || count < 1)
    throw new BudgetError(`budget.blocks: must be a positive integer, got ${count}`);
  const unknown = scores.find((s) => !removable.has(s.id));
  if (unknown) throw new BudgetError(`scores: "${unknown.id}" is not a removable block of the parent`);
  if (count > removable.size)
    throw new BudgetError(`budget.blocks: ${count} blocks asked, the parent has ${removable.size} removable`);
  if (scores.length < count) throw new BudgetError(`scores: ${scores.length} block scores for a budget of ${count}`);
  const chosen = [...scores]
    .sort((a, b) => a.score - b.score || a.id.localeCompare(b.id))
    .slice(0, count)
    .map((s) => s.id);
  const model = await removeResidualBlocks(parent, chosen);
  // The filters that went with the blocks: what the paper's filter candidate matches.
  const blocks = findResidualBlocks(LayerGraph.of(parent)).filter((b) => chosen.includes(b.id));
  const removedFilters = blocks.reduce((sum, b) => sum + b.filters, 0);
  return { model, removed: chosen, removedFilters, macs: modelCost(model).macs };
}

/**
 * Removes filters: a number of them (the paper matches the layer candidate's count of removed
 * filters), or as few as needed to remove at least `macs` multiply-accumulates.
 */
export async function makeFilterCandidate(
  parent: tfl.LayersModel,
  scores: ScoredFilter[],
  budget: FilterBudget,
): Promise<Candidate> {
  const groups = findFilterGroups(LayerGraph.of(parent));
  const parentMacs = modelCost(parent).macs;
  const build = async (count: number): Promise<Candidate> => {
    const chosen = chooseFilters(groups, scores, count);
    const model = await removeFilters(parent, Object.fromEntries(chosen));
    const removed = [...chosen].flatMap(([id, channels]) => channels.map((c) => `${id}:${c}`));
    return { model, removed, removedFilters: count, macs: modelCost(model).macs };
  };
  if ('filters' in budget) {
    if (!Number.isInteger(budget.filters) || budget.filters < 1)
      throw new BudgetError(`budget.filters: must be a positive integer, got ${budget.filters}`);
    return build(budget.filters);
  }
  if (!(budget.macs > 0)) throw new BudgetError(`budget.macs: must be positive, got ${budget.macs}`);
  // Removed MACs grow with the count: binary search for the smallest count that reaches the target.
  let lo = 1;
  let hi = groups.reduce((a, g) => a + g.channels - 1, 0);
  let best: Candidate | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const candidate = await build(mid);
    if (parentMacs - candidate.macs >= budget.macs) {
      best?.model.dispose();
      best = candidate;
      hi = mid - 1;
    } else {
      candidate.model.dispose();
      lo = mid + 1;
    }
  }
  if (!best) throw new BudgetError(`budget.macs: removing every removable filter saves less than ${budget.macs} MACs`);
  return best;
}
