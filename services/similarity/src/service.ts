// The similarity service for the CKA family. Another similarity service (e.g. Procrustes) is a
// separate process with the same contract; the coordinator finds metrics through its registry.
import { SimilarityServiceService, type SimilarityServiceServer } from '@prune/contracts';
import { unary, type ServiceBinding } from '@prune/service-kit';
import { CKA_METRICS, compareStoredRepresentations, describeMetrics } from '@prune/similarity-metrics';
import type { ArtifactStore } from '@prune/store';

export function createSimilarityService(store: ArtifactStore): SimilarityServiceServer {
  return {
    describe: unary(async () => describeMetrics(CKA_METRICS)),
    compare: unary(async (request) => compareStoredRepresentations(store, CKA_METRICS, request)),
  };
}

export function similarityBinding(store: ArtifactStore): ServiceBinding {
  return { name: 'prune.v1.SimilarityService', definition: SimilarityServiceService, implementation: createSimilarityService(store) };
}
