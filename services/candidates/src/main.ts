// Process entry point: `npx nx serve candidates`, or `node dist/main.js` in an image.
// Listens on --address host:port, else CANDIDATES_ADDRESS, else 0.0.0.0:50053.
import { initBackend } from '@prune/compute';
import { listenAddress, serve } from '@prune/service-kit';
import { ArtifactStore, defaultStoreRoot } from '@prune/store';
import { candidatesBinding } from './service.js';

await initBackend();
await serve({
  address: listenAddress('CANDIDATES_ADDRESS', 50053),
  services: [candidatesBinding(new ArtifactStore(defaultStoreRoot()))],
  protoFiles: ['prune/v1/candidates.proto'],
  handleSignals: true,
});
