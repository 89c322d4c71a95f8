// Process entry point: `npx nx serve similarity`, or `node dist/main.js` in an image.
// Listens on --address host:port, else SIMILARITY_ADDRESS, else 0.0.0.0:50054.
import { listenAddress, serve } from '@prune/service-kit';
import { similarityBinding } from './service.js';

await serve({
  address: listenAddress('SIMILARITY_ADDRESS', 50054),
  services: [similarityBinding()],
  protoFiles: ['prune/v1/similarity.proto'],
  handleSignals: true,
});
