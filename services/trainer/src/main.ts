// Process entry point: `npx nx serve trainer`, or `node dist/main.js` in an image.
// Listens on --address host:port, else TRAINER_ADDRESS, else 127.0.0.1:50051 (PRUNE_BIND_HOST for
// another host). It computes in a worker thread (worker.ts), so this thread answers health and
// relays progress while a request computes.
import { TrainerServiceService } from '@prune/contracts';
import { listenAddress, serveComputeService } from '@prune/service-kit';

await serveComputeService({
  address: listenAddress('TRAINER_ADDRESS', 50051),
  definition: TrainerServiceService,
  worker: new URL('./worker.js', import.meta.url),
  protoFiles: ['prune/v1/trainer.proto'],
  handleSignals: true,
});
