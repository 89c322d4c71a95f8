// Process entry point: `npx nx serve coordinator`, or `node dist/main.js` in an image.
// Listens on --address host:port, else COORDINATOR_ADDRESS, else 0.0.0.0:50050.
import { listenAddress, serve } from '@prune/service-kit';
import { coordinatorBinding } from './service.js';

await serve({
  address: listenAddress('COORDINATOR_ADDRESS', 50050),
  services: [coordinatorBinding()],
  protoFiles: ['prune/v1/coordinator.proto'],
  handleSignals: true,
});
