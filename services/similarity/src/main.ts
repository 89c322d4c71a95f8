// Process entry point: `npx nx serve similarity`, or `node dist/main.js` in an image.
// Listens on --address host:port, else SIMILARITY_ADDRESS, else 127.0.0.1:50054 (PRUNE_BIND_HOST
// for another host). It computes in a worker thread (worker.ts), so this thread answers health and
// relays progress while a request computes.
import { SimilarityServiceService } from '@prune/contracts';
import { listenAddress, serveComputeService } from '@prune/service-kit';

await serveComputeService({
  address: listenAddress('SIMILARITY_ADDRESS', 50054),
  definition: SimilarityServiceService,
  worker: new URL('./worker.js', import.meta.url),
  protoFiles: ['prune/v1/similarity.proto'],
  handleSignals: true,
});
