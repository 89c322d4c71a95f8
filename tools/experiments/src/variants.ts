// The runs an ablation compares: one factor varied at a time. The first value of every list is the
// reference; each other value of a list makes one variant with every other factor at its reference.
// A variant's label names only what differs from the reference, so the reference keeps the label
// (and the run ids) the plain policy comparison gives it.

export interface Variant {
  /** What its seeds are averaged under: the policy, plus each factor that differs from the reference. */
  group: string;
  policy: string;
  criterion: string;
  metric: string;
  /** 0: candidates are compared right after surgery. */
  candidateSteps: number;
}

export interface FactorLists {
  policies: string[];
  criteria: string[];
  metrics: string[];
  candidateSteps: number[];
}

export function variantFactors(lists: FactorLists): Variant[] {
  for (const [field, values] of Object.entries(lists) as [string, unknown[]][]) {
    if (values.length === 0) throw new Error(`--${field}: give at least one value`);
    if (new Set(values).size !== values.length) throw new Error(`--${field}: a value is listed twice`);
  }
  if (lists.candidateSteps.some((s) => !Number.isInteger(s) || s < 0))
    throw new Error(`--candidate-steps: whole numbers >= 0 expected, got ${lists.candidateSteps.join(',')}`);
  const reference = {
    policy: lists.policies[0]!,
    criterion: lists.criteria[0]!,
    metric: lists.metrics[0]!,
    candidateSteps: lists.candidateSteps[0]!,
  };
  const label = (v: Omit<Variant, 'group'>) =>
    [
      v.policy,
      v.criterion !== reference.criterion ? `${v.criterion} criterion` : '',
      v.metric !== reference.metric ? v.metric : '',
      v.candidateSteps !== reference.candidateSteps ? `${v.candidateSteps} candidate steps` : '',
    ]
      .filter(Boolean)
      .join(', ');
  const variants = [
    ...lists.policies.map((policy) => ({ ...reference, policy })),
    ...lists.criteria.slice(1).map((criterion) => ({ ...reference, criterion })),
    ...lists.metrics.slice(1).map((metric) => ({ ...reference, metric })),
    ...lists.candidateSteps.slice(1).map((candidateSteps) => ({ ...reference, candidateSteps })),
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
  ].filter(Boolean);
}
