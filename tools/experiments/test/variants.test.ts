// Ablations vary one factor at a time, and their runs' ids never mix two settings: the labels name
// what differs from a run's defaults, and a run found under a reused id must match the variant.
import { describe, expect, it } from 'vitest';
import { FilterMatch, SelectionPolicy } from '@prune/contracts';
import { experimentRunId, variantFactors } from '../src/variants.js';
import { checkSameRun } from '../src/follow-run.js';

const lists = {
  policies: ['similarity'],
  criteria: ['kl'],
  metrics: ['linear_cka'],
  candidateSteps: [59],
  filterMatches: ['count'],
};

describe('variantFactors', () => {
  it('varies each listed value alone, the others at their first value', () => {
    const variants = variantFactors({ ...lists, criteria: ['kl', 'l1'], metrics: ['linear_cka', 'procrustes'] });
    expect(variants.map((v) => [v.group, v.criterion, v.metric, v.candidateSteps])).toEqual([
      ['similarity', 'kl', 'linear_cka', 59],
      ['similarity, l1 criterion', 'l1', 'linear_cka', 59],
      ['similarity, procrustes', 'kl', 'procrustes', 59],
    ]);
  });

  it('labels what differs from the defaults, so a reference other than KL and linear CKA is named', () => {
    const [reference, other] = variantFactors({ ...lists, metrics: ['procrustes', 'linear_cka'] });
    expect([reference!.group, other!.group]).toEqual(['similarity, procrustes', 'similarity']);
    expect(variantFactors({ ...lists, candidateSteps: [0, 59] }).map((v) => v.group)).toEqual([
      'similarity, 0 candidate steps',
      'similarity, 59 candidate steps',
    ]);
    expect(variantFactors({ ...lists, candidateSteps: [59, 20] }).map((v) => v.group)).toEqual([
      'similarity',
      'similarity, 20 candidate steps',
    ]);
  });

  it('names filters matched in MACs, and keeps the plain label for the default count match', () => {
    const variants = variantFactors({ ...lists, policies: ['similarity', 'random'], filterMatches: ['count', 'macs'] });
    expect(variants.map((v) => [v.group, v.policy, v.filterMatch])).toEqual([
      ['similarity', 'similarity', 'count'],
      ['random', 'random', 'count'],
      ['similarity, filters matched in MACs', 'similarity', 'macs'],
    ]);
  });

  it('refuses empty lists, repeated values and negative steps, naming the option', () => {
    expect(() => variantFactors({ ...lists, metrics: [] })).toThrow('--metrics: give at least one value');
    expect(() => variantFactors({ ...lists, criteria: ['kl', 'kl'] })).toThrow('--criteria: a value is listed twice');
    expect(() => variantFactors({ ...lists, candidateSteps: [-1] })).toThrow('--candidate-steps: whole numbers >= 0');
    expect(() => variantFactors({ ...lists, candidateSteps: [] })).toThrow(
      '--candidate-steps: give at least one value',
    );
    expect(() => variantFactors({ ...lists, filterMatches: ['macs', 'macs'] })).toThrow(
      '--filter-match: a value is listed twice',
    );
  });
});

describe('checkSameRun', () => {
  const asked = {
    policy: SelectionPolicy.SELECTION_POLICY_SIMILARITY,
    metric: 'linear_cka',
    seed: 1,
    candidateFinetune: { steps: 59 },
  };
  it('accepts the run it would have started, and names every setting a found run differs in', () => {
    expect(() => checkSameRun('r', asked, { ...asked, criterion: 'kl' })).not.toThrow();
    expect(() =>
      checkSameRun('r', asked, { ...asked, metric: 'procrustes', candidateFinetune: { steps: 20 } }),
    ).toThrow(
      'run r already exists with metric procrustes (asked linear_cka), candidate fine-tune steps 20 (asked 59): use another --stamp',
    );
  });

  it('reads a run stored without a filter match as matched in count, the default', () => {
    const count = { ...asked, filterMatch: FilterMatch.FILTER_MATCH_COUNT };
    expect(() => checkSameRun('r', count, asked)).not.toThrow();
    expect(() => checkSameRun('r', { ...asked, filterMatch: FilterMatch.FILTER_MATCH_MACS }, asked)).toThrow(
      'filter match count (asked macs)',
    );
  });
});

describe('experimentRunId', () => {
  it('keeps the ids runs have had, and cuts a label too long for the coordinator without two colliding', () => {
    expect(experimentRunId('resnet20-12fca82f', 'similarity, rbf_cka (seed 1)', '202612050425')).toBe(
      'resnet20-similarity-rbf-cka-seed-1-202612050425',
    );
    const long = (seed: number) =>
      experimentRunId('resnet20-12fca82f', `similarity, wasserstein_shape_metric (seed ${seed})`, '202612050425');
    for (const id of [long(0), long(1)]) {
      expect(id).toMatch(/^[a-z0-9][a-z0-9-]{0,62}$/); // the coordinator's run-id rule
      expect(id).toMatch(/^resnet20-similarity-wasserstein-.*-[0-9a-f]{8}-202612050425$/);
    }
    expect(long(0)).not.toBe(long(1));
  });
});
