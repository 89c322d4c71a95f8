// The candidates service owns model surgery: it makes the layer-pruned or filter-pruned child of
// a stored model, reports a stored model's cost, removable blocks and widths, and imports model
// files into the store. Handlers only translate messages; the work is in @prune/local-ports.
import {
  CandidatesServiceService,
  MODEL_FORMAT_NAMES,
  StructureKind,
  type CandidatesServiceServer,
} from '@prune/contracts';
import { inspectModel, makeFilterCandidate, makeLayerCandidate, type Candidate } from '@prune/local-ports';
import { loadModelArtifact, modelCost, putModelArtifact } from '@prune/models';
import { costOf } from '@prune/pruning';
import { invalidArgument, serverStream, unary, type ServiceBinding } from '@prune/service-kit';
import { modelFileChunks } from './export-model.js';
import { importModel } from './import-model.js';
import type { CandidatesOptions } from './options.js';

export function createCandidatesService({ store, modelRoots }: CandidatesOptions): CandidatesServiceServer {
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
          candidate = await makeLayerCandidate(
            parent,
            scores.map((s) => ({ id: s.structureId, score: s.score })),
            amount.value,
          );
        } else if (request.kind === StructureKind.STRUCTURE_KIND_FILTER) {
          if (amount.$case === 'blocks')
            throw invalidArgument('budget', 'a filter candidate takes a number of filters or of MACs');
          const filterScores = scores.map((s) => ({ id: s.structureId, channel: s.channel, score: s.score }));
          candidate = await makeFilterCandidate(
            parent,
            filterScores,
            amount.$case === 'filters' ? { filters: amount.value } : { macs: amount.value },
          );
        } else {
          throw invalidArgument('kind', 'must be STRUCTURE_KIND_BLOCK or STRUCTURE_KIND_FILTER');
        }
        try {
          const model = await putModelArtifact(store, candidate.model, { ...metadata, source: request.parent!.uri });
          return {
            model,
            cost: costOf(modelCost(candidate.model)),
            parentCost: costOf(modelCost(parent)),
            removed: candidate.removed,
            removedFilters: candidate.removedFilters,
          };
        } finally {
          candidate.model.dispose();
        }
      } finally {
        parent.dispose();
      }
    }),
    inspect: unary(async (request) => {
      const { model } = await loadModelArtifact(store, request.model, 'model');
      try {
        return inspectModel(model);
      } finally {
        model.dispose();
      }
    }),
    importModel: unary(async (request) => ({
      model: await importModel(store, modelRoots, request.uri, request.dataset, request.preprocessing),
    })),
    exportModel: serverStream(async (request, write) => {
      if (!request.model?.uri) throw invalidArgument('model', 'a model reference (uri) is required');
      const format = request.format ? MODEL_FORMAT_NAMES.name(request.format) : 'tfjs';
      if (!format) throw invalidArgument('format', `${request.format} is not a model format this service knows`);
      for await (const chunk of modelFileChunks(store, request.model, format)) write({ chunk });
    }),
  };
}

export function candidatesBinding(options: CandidatesOptions): ServiceBinding {
  return {
    name: 'prune.v1.CandidatesService',
    definition: CandidatesServiceService,
    implementation: createCandidatesService(options),
  };
}
