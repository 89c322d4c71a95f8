// The criterion service: scores the blocks or filters of a stored model with a named criterion.
import { CriterionServiceService, StructureKind, type CriterionServiceServer } from '@prune/contracts';
import { criterionByName, CRITERIA } from '@prune/criteria';
import { openDatasetSample } from '@prune/data';
import { loadModelArtifact, preprocessImages } from '@prune/models';
import { invalidArgument, unary, type ServiceBinding } from '@prune/service-kit';
import type { ArtifactStore } from '@prune/store';
import { resolvePreprocessing } from '@prune/training';

export function createCriterionService(store: ArtifactStore): CriterionServiceServer {
  return {
    listCriteria: unary(async () => ({ criteria: CRITERIA.map((c) => ({ name: c.name, description: c.description, needsData: c.needsData })) })),
    score: unary(async (request) => {
      const started = performance.now();
      const criterion = criterionByName(request.criterion);
      if (request.kind !== StructureKind.STRUCTURE_KIND_BLOCK && request.kind !== StructureKind.STRUCTURE_KIND_FILTER) {
        throw invalidArgument('kind', 'must be STRUCTURE_KIND_BLOCK or STRUCTURE_KIND_FILTER');
      }
      const { model, metadata } = await loadModelArtifact(store, request.model, 'model');
      let calibration;
      if (criterion.needsData) {
        if (!request.calibration?.uri) throw invalidArgument('calibration.uri', `the ${criterion.name} criterion needs calibration data (e.g. cifar10-jpeg:train)`);
        const data = await openDatasetSample(request.calibration.uri, request.calibration.maxExamples || 256, request.calibration.seed);
        const preprocessing = await resolvePreprocessing(metadata.preprocessing);
        calibration = preprocessImages(data.pixels, [data.count, data.height, data.width, data.channels], preprocessing);
      }
      try {
        const context = { calibration, seed: Number(request.seed) };
        const scores = request.kind === StructureKind.STRUCTURE_KIND_BLOCK ? criterion.scoreBlocks(model, context) : criterion.scoreFilters(model, context);
        return {
          criterion: criterion.name,
          scores: scores.map((s) => ({ kind: request.kind, structureId: s.id, channel: s.kind === 'filter' ? s.channel : 0, score: s.score })),
          seconds: (performance.now() - started) / 1000,
        };
      } finally {
        calibration?.dispose();
        model.dispose();
      }
    }),
  };
}

export function criterionBinding(store: ArtifactStore): ServiceBinding {
  return { name: 'prune.v1.CriterionService', definition: CriterionServiceService, implementation: createCriterionService(store) };
}
