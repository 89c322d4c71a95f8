// What a run uses where its configuration does not say (the paper's setting), shared by the
// coordinator, the CLI's help and the experiment scripts.

export const RUN_DEFAULTS = {
  criterion: 'kl',
  metric: 'linear_cka',
  blocksPerIteration: 1,
  /** Size the filter candidate by the layer candidate's filter count (the paper's rule). */
  filterMatch: 'count',
  /** Validation images candidates are compared and accuracy floors checked on. */
  validationExamples: 1000,
} as const;
