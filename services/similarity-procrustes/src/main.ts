// Process entry point: `npx nx serve similarity-procrustes`, or `node dist/main.js` in an image.
// Listens on --address host:port, else SIMILARITY_PROCRUSTES_ADDRESS, else 0.0.0.0:50055.
import { listenAddress, serve } from '@prune/service-kit';
import { ArtifactStore, defaultStoreRoot } from '@prune/store';
import { procrustesBinding } from './service.js';

await serve({
  address: listenAddress('SIMILARITY_PROCRUSTES_ADDRESS', 50055),
  services: [procrustesBinding(new ArtifactStore(defaultStoreRoot()))],
  protoFiles: ['prune/v1/similarity.proto'],
  handleSignals: true,
});
