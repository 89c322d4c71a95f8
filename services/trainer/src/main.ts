// Process entry point: `npx nx serve trainer`, or `node dist/main.js` in an image.
// Listens on --address host:port, else TRAINER_ADDRESS, else 0.0.0.0:50051.
import { initBackend } from '@prune/compute';
import { listenAddress, serve } from '@prune/service-kit';
import { ArtifactStore, defaultStoreRoot } from '@prune/store';
import { trainerBinding } from './service.js';

await initBackend();
await serve({
  address: listenAddress('TRAINER_ADDRESS', 50051),
  services: [trainerBinding(new ArtifactStore(defaultStoreRoot()))],
  protoFiles: ['prune/v1/trainer.proto'],
  handleSignals: true,
});
