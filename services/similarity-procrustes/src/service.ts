// A second similarity service, its own process: the Procrustes shape similarity of Williams et
// al. (2021) behind the same SimilarityService contract. Adding it changed no other service.
import { SimilarityServiceService, type SimilarityServiceServer } from '@prune/contracts';
import { unary, type ServiceBinding } from '@prune/service-kit';
import { compareStoredRepresentations, describeMetrics, PROCRUSTES_METRICS } from '@prune/similarity-metrics';
import type { ArtifactStore } from '@prune/store';

export function createProcrustesSimilarityService(store: ArtifactStore): SimilarityServiceServer {
  return {
    describe: unary(async () => describeMetrics(PROCRUSTES_METRICS)),
    compare: unary(async (request) => compareStoredRepresentations(store, PROCRUSTES_METRICS, request)),
  };
}

export function procrustesBinding(store: ArtifactStore): ServiceBinding {
  return { name: 'prune.v1.SimilarityService', definition: SimilarityServiceService, implementation: createProcrustesSimilarityService(store) };
}
