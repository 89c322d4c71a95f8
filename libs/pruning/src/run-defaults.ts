// What a run uses where its configuration does not say (the paper's setting), shared by the
// coordinator, the CLI's help and the experiment scripts.

export const RUN_DEFAULTS = {
  criterion: 'kl',
  metric: 'linear_cka',
  blocksPerIteration: 1,
  /** Validation images candidates are compared and accuracy floors checked on. */
  validationExamples: 1000,
} as const;
