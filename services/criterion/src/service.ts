// The criterion service: scores the blocks or filters of a stored model with a named criterion.
import {
  CriterionServiceService,
  parameterRangeMessages,
  StructureKind,
  type CriterionServiceServer,
  type ScoreRequest,
  type StructureScore,
} from '@prune/contracts';
import {
  criteria,
  criterionByName,
  criterionParameters,
  DEFAULT_CALIBRATION_EXAMPLES,
  type Criterion,
} from '@prune/criteria';
import { openDatasetSample } from '@prune/data';
import { loadModelArtifact, preprocessImages } from '@prune/models';
import { AsyncCache, invalidArgument, unary, type ServiceBinding } from '@prune/service-kit';
import type { ArtifactStore } from '@prune/store';
import { resolvePreprocessing } from '@prune/training';
import { scoreCacheKey } from './score-cache.js';

/** `cache`: answers kept for identical requests (see scoreCacheKey); 64 answers are a few hundred kilobytes. */
export function createCriterionService(
  store: ArtifactStore,
  cache = new AsyncCache<StructureScore[]>(64),
): CriterionServiceServer {
  const waiting = new Map<string, Set<{ cancelled: boolean }>>();
  return {
    listCriteria: unary(async () => ({
      criteria: criteria().map((c) => ({
        name: c.name,
        description: c.description,
        needsData: c.needsData,
        parameters: Object.keys(c.parameters ?? {}),
        parameterRanges: parameterRangeMessages(c.bounds),
      })),
    })),
    score: unary(async (request, call) => {
      const started = performance.now();
      const criterion = criterionByName(request.criterion);
      if (request.kind !== StructureKind.STRUCTURE_KIND_BLOCK && request.kind !== StructureKind.STRUCTURE_KIND_FILTER) {
        throw invalidArgument('kind', 'must be STRUCTURE_KIND_BLOCK or STRUCTURE_KIND_FILTER');
      }
      if (criterion.needsData && !request.calibration?.uri)
        throw invalidArgument(
          'calibration.uri',
          `the ${criterion.name} criterion needs calibration data (e.g. cifar10-jpeg:train)`,
        );
      const parameters = criterionParameters(criterion, request.parameters);
      // Callers asking the same question share one scoring, which stops between passes once all
      // of them have cancelled (one caller giving up does not fail the others).
      const key = scoreCacheKey(request, parameters);
      const callers = (key && waiting.get(key)) || new Set<{ cancelled: boolean }>();
      callers.add(call);
      if (key) waiting.set(key, callers);
      const everyoneCancelled = () => [...callers].every((c) => c.cancelled);
      let scores: StructureScore[];
      try {
        scores = await cache.get(key, () => score(store, criterion, request, parameters, everyoneCancelled));
      } finally {
        callers.delete(call);
        if (key && callers.size === 0) waiting.delete(key);
      }
      return { criterion: criterion.name, scores, seconds: (performance.now() - started) / 1000 };
    }),
  };
}

async function score(
  store: ArtifactStore,
  criterion: Criterion,
  request: ScoreRequest,
  parameters: Record<string, number>,
  cancelled: () => boolean,
): Promise<StructureScore[]> {
  const { model, metadata } = await loadModelArtifact(store, request.model, 'model');
  let calibration;
  try {
    if (criterion.needsData) {
      const data = await openDatasetSample(
        request.calibration!.uri,
        request.calibration!.maxExamples || DEFAULT_CALIBRATION_EXAMPLES,
        request.calibration!.seed,
      );
      const preprocessing = await resolvePreprocessing(metadata);
      calibration = preprocessImages(data.pixels, [data.count, data.height, data.width, data.channels], preprocessing);
    }
    const context = { calibration, seed: Number(request.seed), parameters, cancelled };
    const scores =
      request.kind === StructureKind.STRUCTURE_KIND_BLOCK
        ? criterion.scoreBlocks(model, context)
        : criterion.scoreFilters(model, context);
    return scores.map((s) => ({
      kind: request.kind,
      structureId: s.id,
      channel: s.kind === 'filter' ? s.channel : 0,
      score: s.score,
    }));
  } finally {
    calibration?.dispose();
    model.dispose();
  }
}

export function criterionBinding(store: ArtifactStore, cache?: AsyncCache<StructureScore[]>): ServiceBinding {
  return {
    name: 'prune.v1.CriterionService',
    definition: CriterionServiceService,
    implementation: createCriterionService(store, cache),
  };
}
