// The trainer service's computation, in a worker thread of its process (main.ts starts it and
// replaces it if it dies or its backend fails the self-check).
import { checkBackend, initBackend } from '@prune/compute';
import { hostInWorker } from '@prune/service-kit';
import { ArtifactStore, defaultStoreRoot } from '@prune/store';
import { evaluationReplicas } from '@prune/training';
import { trainerBinding } from './service.js';

await initBackend();
evaluationReplicas(); // a bad PRUNE_EVAL_REPLICAS stops the trainer now, not its first evaluation
await hostInWorker(trainerBinding(new ArtifactStore(defaultStoreRoot())), { selfCheck: checkBackend });
