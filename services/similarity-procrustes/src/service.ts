// A second similarity service, its own process: the Procrustes shape similarity of Williams et
// al. (2021) behind the same SimilarityService contract. Adding it changed no other service.
import type { ServiceBinding } from '@prune/service-kit';
import { similarityServiceBinding } from '@prune/similarity-service';
import type { ArtifactStore } from '@prune/store';

export function procrustesBinding(store: ArtifactStore): ServiceBinding {
  return similarityServiceBinding(store, 'procrustes');
}
