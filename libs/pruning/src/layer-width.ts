// A model's width at one filter-making (or head-having) layer, as the walk records it: the walk stores what its
// ports answer and never computes it, so this is a plain shape (the same as the models library's
// and the contracts' LayerWidth), not an import of either.
export interface LayerWidth {
  layer: string;
  /** Filters, or heads when `unit` says so. */
  filters: number;
  /** "heads" for an attention layer; absent or "filters" for a convolution. */
  unit?: string;
}
