// What the walk asks about a model besides its accuracy: its cost, its removable residual blocks
// and its widths. The local ports answer from it, and so does the candidates service's Inspect,
// so both report the same facts.
import type { tfl } from '@prune/compute';
import {
  modelWidths,
  findFilterGroups,
  findResidualBlocks,
  LayerGraph,
  modelCost,
  type LayerWidth,
} from '@prune/models';
import { costOf, type ModelCost } from '@prune/pruning';

export interface ModelFacts {
  cost: ModelCost;
  /** Ids of the blocks a layer candidate may remove, in graph order. */
  removableBlocks: string[];
  /** How many filters a filter candidate may remove at most: each prunable group keeps one. */
  removableFilters: number;
  widths: LayerWidth[];
}

export function inspectModel(model: tfl.LayersModel): ModelFacts {
  const cost = modelCost(model);
  const graph = LayerGraph.of(model);
  return {
    cost: costOf(cost),
    removableBlocks: findResidualBlocks(graph).map((b) => b.id),
    removableFilters: findFilterGroups(graph).reduce((sum, g) => sum + g.channels - 1, 0),
    widths: modelWidths(cost),
  };
}
