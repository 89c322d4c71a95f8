// What the walk counts of a model. Port answers, cost reports and messages often carry more
// (per-layer detail, accuracy, a model); `costOf` keeps just the cost.

/** `macs`: Conv2D and Dense multiply-accumulates (the paper's convention); `flops`: all inference arithmetic. */
export interface ModelCost {
  macs: number;
  flops: number;
  params: number;
}

export const costOf = (c: ModelCost): ModelCost => ({ macs: c.macs, flops: c.flops, params: c.params });
