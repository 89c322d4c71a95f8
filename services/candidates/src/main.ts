// Process entry point: `npx nx serve candidates`, or `node dist/main.js` in an image.
// Listens on --address host:port, else CANDIDATES_ADDRESS, else 0.0.0.0:50053; the store and
// the model roots come from the environment (see candidatesOptionsFromEnv).
import { initBackend } from '@prune/compute';
import { listenAddress, serve } from '@prune/service-kit';
import { candidatesOptionsFromEnv } from './options.js';
import { candidatesBinding } from './service.js';

await initBackend();
await serve({
  address: listenAddress('CANDIDATES_ADDRESS', 50053),
  services: [candidatesBinding(candidatesOptionsFromEnv())],
  protoFiles: ['prune/v1/candidates.proto'],
  handleSignals: true,
});
