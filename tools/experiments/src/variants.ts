// The runs an ablation compares: one factor varied at a time. The first value of every list is the
// reference; each other value of a list makes one variant with every other factor at its reference.
// A variant's label (and so its run ids) names its policy and whatever differs from a run's
// defaults (the KL criterion, linear CKA, filters matched in count) or skips candidate fine-tunes,
// so a run with the plain comparison's settings keeps the label it has there, and no two settings
// share a label.
import { createHash } from 'node:crypto';
import { RUN_DEFAULTS } from '@prune/pruning';

export interface Variant {
  /** What its seeds are averaged under: the policy, plus each factor that differs from the reference. */
  group: string;
  policy: string;
  criterion: string;
  metric: string;
  /** 0: candidates are compared right after surgery. */
  candidateSteps: number;
  /** What the filter candidate matches the layer candidate in: filters removed, or MACs removed. */
  filterMatch: string;
}

export interface FactorLists {
  policies: string[];
  criteria: string[];
  metrics: string[];
  candidateSteps: number[];
  filterMatches: string[];
}

export function variantFactors(lists: FactorLists): Variant[] {
  const options: Record<keyof FactorLists, string> = {
    policies: 'policies',
    criteria: 'criteria',
    metrics: 'metrics',
    candidateSteps: 'candidate-steps',
    filterMatches: 'filter-match',
  };
  for (const [field, values] of Object.entries(lists) as [keyof FactorLists, unknown[]][]) {
    if (values.length === 0) throw new Error(`--${options[field]}: give at least one value`);
    if (new Set(values).size !== values.length) throw new Error(`--${options[field]}: a value is listed twice`);
  }
  if (lists.candidateSteps.some((s) => !Number.isInteger(s) || s < 0))
    throw new Error(`--candidate-steps: whole numbers >= 0 expected, got ${lists.candidateSteps.join(',')}`);
  const reference = {
    policy: lists.policies[0]!,
    criterion: lists.criteria[0]!,
    metric: lists.metrics[0]!,
    candidateSteps: lists.candidateSteps[0]!,
    filterMatch: lists.filterMatches[0]!,
  };
  // Candidate steps are a budget (like the selected fine-tune's, not in the label) unless they are
  // 0, another method, or differ from the reference's within one comparison.
  const label = (v: Omit<Variant, 'group'>) =>
    [
      v.policy,
      v.criterion !== RUN_DEFAULTS.criterion ? `${v.criterion} criterion` : '',
      v.metric !== RUN_DEFAULTS.metric ? v.metric : '',
      v.candidateSteps === 0 || v.candidateSteps !== reference.candidateSteps
        ? `${v.candidateSteps} candidate steps`
        : '',
      v.filterMatch !== RUN_DEFAULTS.filterMatch
        ? `filters matched in ${v.filterMatch === 'macs' ? 'MACs' : v.filterMatch}`
        : '',
    ]
      .filter(Boolean)
      .join(', ');
  const variants = [
    ...lists.policies.map((policy) => ({ ...reference, policy })),
    ...lists.criteria.slice(1).map((criterion) => ({ ...reference, criterion })),
    ...lists.metrics.slice(1).map((metric) => ({ ...reference, metric })),
    ...lists.candidateSteps.slice(1).map((candidateSteps) => ({ ...reference, candidateSteps })),
    ...lists.filterMatches.slice(1).map((filterMatch) => ({ ...reference, filterMatch })),
  ];
  return variants.map((v) => ({ ...v, group: label(v) }));
}

/** What the variants vary, for a results file's title: "selection policies", "criteria", ... */
export function variedFactors(lists: FactorLists): string[] {
  return [
    lists.policies.length > 1 ? 'selection policies' : '',
    lists.criteria.length > 1 ? 'criteria' : '',
    lists.metrics.length > 1 ? 'similarity metrics' : '',
    lists.candidateSteps.length > 1 ? 'candidate fine-tuning steps' : '',
    lists.filterMatches.length > 1 ? 'filter matching' : '',
  ].filter(Boolean);
}

/** The longest run id the coordinator accepts. */
const MAX_RUN_ID = 63;

/**
 * The run id of the run `label` names ("similarity, rbf_cka (seed 1)") on `model`, under `stamp`:
 * the model's family, the label in lowercase and dashes, the stamp. A label too long for the
 * coordinator's 63 characters is cut and a hash of it added, so that ids stay distinct; the ids of
 * shorter labels are the ones runs have always had.
 */
export function experimentRunId(model: string, label: string, stamp: string): string {
  const slug = label.replace(/[^a-z0-9]+/g, '-').replace(/-$/, '');
  const family = model.split('-')[0]!;
  const id = `${family}-${slug}-${stamp}`;
  if (id.length <= MAX_RUN_ID) return id;
  const hash = createHash('sha256').update(slug).digest('hex').slice(0, 8);
  const room = MAX_RUN_ID - `${family}--${hash}-${stamp}`.length;
  return `${family}-${slug.slice(0, room).replace(/-$/, '')}-${hash}-${stamp}`;
}
