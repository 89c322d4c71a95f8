// The filter budget's spread over filter groups: pure arithmetic on ids and scores, no model.
import { describe, expect, it } from 'vitest';
import { BudgetError, chooseFilters } from '@prune/pruning';

describe('chooseFilters', () => {
  const groups = [
    { id: 'a', channels: 16 },
    { id: 'b', channels: 32 },
    { id: 'c', channels: 64 },
  ];
  const scores = groups.flatMap((g) =>
    Array.from({ length: g.channels }, (_, c) => ({ id: g.id, channel: c, score: g.channels - c })),
  );

  it('spreads removed filters over groups in proportion to their size, lowest scores first', () => {
    const chosen = chooseFilters(groups, scores, 14);
    expect([...chosen].map(([id, ch]) => [id, ch.length])).toEqual([
      ['a', 2],
      ['b', 4],
      ['c', 8],
    ]);
    expect(chosen.get('a')).toEqual([14, 15]); // the two lowest scores
  });

  it('keeps one filter per group and refuses a budget beyond that, or scores that do not cover a group', () => {
    expect([...chooseFilters(groups, scores, 109)].map(([id, ch]) => [id, ch.length])).toEqual([
      ['a', 15],
      ['b', 31],
      ['c', 63],
    ]);
    expect(() => chooseFilters(groups, scores, 110)).toThrow(
      'budget.filters: 110 filters asked, at most 109 can be removed',
    );
    expect(() => chooseFilters(groups, scores.slice(1), 14)).toThrow(BudgetError);
    expect(() => chooseFilters(groups, scores.slice(1), 14)).toThrow('scores: group a has 16 filters but 15 scores');
  });
});
