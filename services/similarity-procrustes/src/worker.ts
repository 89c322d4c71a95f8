// The Procrustes similarity's computation (plain JavaScript, no TF.js backend), in a worker
// thread of its process (main.ts starts it and replaces it if it dies).
import { hostInWorker } from '@prune/service-kit';
import { ArtifactStore, defaultStoreRoot } from '@prune/store';
import { procrustesBinding } from './service.js';

await hostInWorker(procrustesBinding(new ArtifactStore(defaultStoreRoot())));
