// The similarity service for the CKA family. Another similarity service (e.g. Procrustes) is a
// separate process with the same contract; the coordinator finds metrics through its registry.
import type { ServiceBinding } from '@prune/service-kit';
import { similarityServiceBinding } from '@prune/similarity-service';
import type { ArtifactStore } from '@prune/store';

export function similarityBinding(store: ArtifactStore): ServiceBinding {
  return similarityServiceBinding(store, 'cka');
}
