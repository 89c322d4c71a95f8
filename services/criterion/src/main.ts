// Process entry point: `npx nx serve criterion`, or `node dist/main.js` in an image.
// Listens on --address host:port, else CRITERION_ADDRESS, else 127.0.0.1:50052 (PRUNE_BIND_HOST for
// another host). It computes in a worker thread (worker.ts), so this thread answers health and
// relays progress while a request computes.
import { CriterionServiceService } from '@prune/contracts';
import { listenAddress, serveComputeService } from '@prune/service-kit';

await serveComputeService({
  address: listenAddress('CRITERION_ADDRESS', 50052),
  definition: CriterionServiceService,
  worker: new URL('./worker.js', import.meta.url),
  protoFiles: ['prune/v1/criterion.proto'],
  handleSignals: true,
});
