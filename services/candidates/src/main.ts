// Process entry point: `npx nx serve candidates`, or `node dist/main.js` in an image.
// Listens on --address host:port, else CANDIDATES_ADDRESS, else 127.0.0.1:50053 (PRUNE_BIND_HOST
// for another host). It computes in a worker thread (worker.ts), so this thread answers health and
// relays progress while a request computes.
import { CandidatesServiceService } from '@prune/contracts';
import { listenAddress, serveComputeService } from '@prune/service-kit';

await serveComputeService({
  address: listenAddress('CANDIDATES_ADDRESS', 50053),
  definition: CandidatesServiceService,
  worker: new URL('./worker.js', import.meta.url),
  protoFiles: ['prune/v1/candidates.proto'],
  handleSignals: true,
});
