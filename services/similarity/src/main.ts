// Process entry point: `npx nx serve similarity`, or `node dist/main.js` in an image.
// Listens on --address host:port, else SIMILARITY_ADDRESS, else 0.0.0.0:50054.
import { initBackend } from '@prune/compute';
import { listenAddress, serve } from '@prune/service-kit';
import { ArtifactStore, defaultStoreRoot } from '@prune/store';
import { similarityBinding } from './service.js';

await initBackend();
await serve({
  address: listenAddress('SIMILARITY_ADDRESS', 50054),
  services: [similarityBinding(new ArtifactStore(defaultStoreRoot()))],
  protoFiles: ['prune/v1/similarity.proto'],
  handleSignals: true,
});
