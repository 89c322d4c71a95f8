// The candidates service: makes the layer-pruned or filter-pruned child of a stored model.
import { CandidatesServiceService, StructureKind, type CandidatesServiceServer } from '@prune/contracts';
import { loadModelArtifact, modelCost, putModelArtifact } from '@prune/models';
import { invalidArgument, unary, type ServiceBinding } from '@prune/service-kit';
import { makeFilterCandidate, makeLayerCandidate, type Candidate } from '@prune/pruning';
import type { ArtifactStore } from '@prune/store';

const costOf = (model: Parameters<typeof modelCost>[0]) => {
  const { macs, flops, params } = modelCost(model);
  return { macs, flops, params };
};

export function createCandidatesService(store: ArtifactStore): CandidatesServiceServer {
  return {
    makeCandidate: unary(async (request) => {
      const amount = request.budget?.amount;
      if (!amount) throw invalidArgument('budget', 'one of blocks, filters or macs is required');
      const { model: parent, metadata } = await loadModelArtifact(store, request.parent, 'parent');
      const scores = request.scores.filter((s) => s.kind === request.kind);
      let candidate: Candidate;
      try {
        if (request.kind === StructureKind.STRUCTURE_KIND_BLOCK) {
          if (amount.$case !== 'blocks') throw invalidArgument('budget', 'a layer candidate takes a number of blocks');
          candidate = await makeLayerCandidate(parent, scores.map((s) => ({ id: s.structureId, score: s.score })), amount.value);
        } else if (request.kind === StructureKind.STRUCTURE_KIND_FILTER) {
          if (amount.$case === 'blocks') throw invalidArgument('budget', 'a filter candidate takes a number of filters or of MACs');
          const filterScores = scores.map((s) => ({ id: s.structureId, channel: s.channel, score: s.score }));
          candidate = await makeFilterCandidate(parent, filterScores, amount.$case === 'filters' ? { filters: amount.value } : { macs: amount.value });
        } else {
          throw invalidArgument('kind', 'must be STRUCTURE_KIND_BLOCK or STRUCTURE_KIND_FILTER');
        }
        const model = await putModelArtifact(store, candidate.model, { ...metadata, source: request.parent!.uri });
        return { model, cost: costOf(candidate.model), parentCost: costOf(parent), removed: candidate.removed, removedFilters: candidate.removedFilters };
      } finally {
        parent.dispose();
      }
    }),
  };
}

export function candidatesBinding(store: ArtifactStore): ServiceBinding {
  return { name: 'prune.v1.CandidatesService', definition: CandidatesServiceService, implementation: createCandidatesService(store) };
}
