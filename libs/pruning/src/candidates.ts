// What the walk knows about candidates without touching a model: the scores and budgets it hands
// to the candidate maker, and the pure rule that spreads a filter budget over filter groups. The
// surgery itself (which needs the models library and TF.js) is in @prune/local-ports.
import { InvalidArgumentError } from '@prune/errors';

export interface ScoredBlock {
  id: string;
  score: number;
}

export interface ScoredFilter {
  id: string;
  channel: number;
  score: number;
}

export type FilterBudget = { filters: number } | { macs: number };

export class BudgetError extends InvalidArgumentError {
  override name = 'BudgetError';
}

/**
 * Chooses filters to remove: `total` spread over the groups in proportion to their size
 * (largest remainders first), the lowest-scored within each group, at least one channel kept
 * per group.
 */
export function chooseFilters(
  groups: { id: string; channels: number }[],
  scores: ScoredFilter[],
  total: number,
): Map<string, number[]> {
  const capacity = groups.reduce((a, g) => a + g.channels - 1, 0);
  if (total > capacity)
    throw new BudgetError(`budget.filters: ${total} filters asked, at most ${capacity} can be removed`);
  const all = groups.reduce((a, g) => a + g.channels, 0);
  const exact = groups.map((g) => (total * g.channels) / all);
  const quota = exact.map((e, i) => Math.min(Math.floor(e), groups[i]!.channels - 1));
  let left = total - quota.reduce((a, b) => a + b, 0);
  const order = groups
    .map((_, i) => i)
    .sort((a, b) => exact[b]! - Math.floor(exact[b]!) - (exact[a]! - Math.floor(exact[a]!)) || a - b);
  while (left > 0) {
    for (const i of order) {
      if (left > 0 && quota[i]! < groups[i]!.channels - 1) {
        quota[i]!++;
        left--;
      }
    }
  }
  const chosen = new Map<string, number[]>();
  groups.forEach((group, i) => {
    if (quota[i] === 0) return;
    const mine = scores.filter((s) => s.id === group.id);
    if (mine.length !== group.channels)
      throw new BudgetError(`scores: group ${group.id} has ${group.channels} filters but ${mine.length} scores`);
    chosen.set(
      group.id,
      mine
        .sort((a, b) => a.score - b.score || a.channel - b.channel)
        .slice(0, quota[i])
        .map((s) => s.channel)
        .sort((a, b) => a - b),
    );
  });
  return chosen;
}
