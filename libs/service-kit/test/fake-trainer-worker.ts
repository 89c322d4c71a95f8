// A compute worker for compute-worker.test.ts: TrainerService's shape without TF.js, each
// behaviour chosen by the request. Evaluate's batch_size: 1 dies from an uncaught error, 2 fails
// INTERNAL and leaves the "backend" broken (the self-check then fails), 3 computes forever without
// looking at its cancel flag, anything else answers with the number of Train streams this worker
// saw cancelled (in `examples`).
import { setTimeout as sleep } from 'node:timers/promises';
import { TrainerServiceService, TrainProgress } from '@prune/contracts';
import { InvalidArgumentError } from '@prune/errors';
import { hostInWorker, serverStream, unary } from '../src/index.js';

// What libtensorflow's thread settings rely on: the worker's environment is the process's.
process.env['PRUNE_TEST_WORKER_ENV'] = 'set in the worker';

let cancelledStreams = 0;
let broken = false;

await hostInWorker(
  {
    name: 'prune.v1.TrainerService',
    definition: TrainerServiceService,
    implementation: {
      train: serverStream(async (request: { config?: { steps: number } }, write, call) => {
        let cancelled = false;
        call.on('cancelled', () => {
          cancelled = true;
          cancelledStreams++;
        });
        const totalSteps = request.config?.steps ?? 0;
        for (let step = 1; step <= totalSteps && !cancelled; step++) {
          await sleep(20);
          write({ event: { $case: 'progress', value: TrainProgress.fromPartial({ step, totalSteps }) } });
        }
      }),
      evaluate: unary(async (request: { batchSize: number }) => {
        if (request.batchSize === 1) {
          setTimeout(() => {
            throw new Error('an uncaught failure in the worker');
          });
          return new Promise(() => {});
        }
        if (request.batchSize === 3) for (;;) Math.sqrt(Math.random()); // what a long matrix computation is to cancel
        if (request.batchSize === 2) {
          broken = true;
          throw new Error('memory access out of bounds');
        }
        return { accuracy: 0, loss: 0, examples: cancelledStreams };
      }),
      extractRepresentations: unary(async () => {
        throw new InvalidArgumentError('data.uri: a dataset URI is required');
      }),
    },
  },
  {
    selfCheck: () => {
      if (broken) throw new Error('the backend is broken');
    },
  },
);
