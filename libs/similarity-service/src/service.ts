// A SimilarityService over one family of metrics. Each similarity service process (CKA family,
// Procrustes, a new one) is this with its own family: adding one touches no other service. The
// family's metrics are read per request, so metrics registered at start-up are served too.
import { SimilarityServiceService, type SimilarityServiceServer } from '@prune/contracts';
import { unary, type ServiceBinding } from '@prune/service-kit';
import { similarityMetrics } from '@prune/similarity-metrics';
import type { ArtifactStore } from '@prune/store';
import { compareStoredRepresentations, describeMetrics } from './compare.js';

export function createSimilarityService(store: ArtifactStore, family: string): SimilarityServiceServer {
  return {
    describe: unary(async () => describeMetrics(similarityMetrics(family))),
    compare: unary(async (request) => compareStoredRepresentations(store, similarityMetrics(family), request)),
  };
}

export function similarityServiceBinding(store: ArtifactStore, family: string): ServiceBinding {
  return {
    name: 'prune.v1.SimilarityService',
    definition: SimilarityServiceService,
    implementation: createSimilarityService(store, family),
  };
}
