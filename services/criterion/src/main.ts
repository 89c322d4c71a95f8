// Process entry point: `npx nx serve criterion`, or `node dist/main.js` in an image.
// Listens on --address host:port, else CRITERION_ADDRESS, else 0.0.0.0:50052.
import { initBackend } from '@prune/compute';
import { listenAddress, serve } from '@prune/service-kit';
import { ArtifactStore, defaultStoreRoot } from '@prune/store';
import { criterionBinding } from './service.js';

await initBackend();
await serve({
  address: listenAddress('CRITERION_ADDRESS', 50052),
  services: [criterionBinding(new ArtifactStore(defaultStoreRoot()))],
  protoFiles: ['prune/v1/criterion.proto'],
  handleSignals: true,
});
