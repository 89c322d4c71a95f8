// Process entry point: `npx nx serve coordinator`, or `node dist/main.js` in an image.
// Listens on --address host:port, else COORDINATOR_ADDRESS, else 127.0.0.1:50050 (PRUNE_BIND_HOST
// for another host). The other services are found from the environment (see
// coordinatorOptionsFromEnv). Runs that were in flight when the previous process stopped are
// resumed from their journals. The coordinator computes nothing itself, so it starts no TF.js
// backend.
import { listenAddress, serve } from '@prune/service-kit';
import { coordinatorOptionsFromEnv } from './options.js';
import { Coordinator, coordinatorBinding } from './service.js';

const coordinator = new Coordinator(coordinatorOptionsFromEnv());
await serve({
  address: listenAddress('COORDINATOR_ADDRESS', 50050),
  services: [coordinatorBinding(coordinator)],
  protoFiles: ['prune/v1/coordinator.proto'],
  handleSignals: true,
});
coordinator.runs.resumeUnfinished();
