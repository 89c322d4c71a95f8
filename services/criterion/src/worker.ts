// The criterion service's computation, in a worker thread of its process (main.ts starts it and
// replaces it if it dies or its backend fails the self-check).
import { checkBackend, initBackend } from '@prune/compute';
import { hostInWorker } from '@prune/service-kit';
import { ArtifactStore, defaultStoreRoot } from '@prune/store';
import { criterionBinding } from './service.js';

await initBackend();
await hostInWorker(criterionBinding(new ArtifactStore(defaultStoreRoot())), { selfCheck: checkBackend });
