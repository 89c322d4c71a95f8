// A model replica of a data-parallel evaluation (evaluation-replicas.ts), in its own thread with
// its own TF.js engine: it predicts its share of the batches and sends each result as it is
// computed, so that neither side holds a whole extraction's results twice.
import { parentPort } from 'node:worker_threads';
import { checkBackend, initBackend } from '@prune/compute';
import { errorKind } from '@prune/errors';
import { modelFromArtifacts } from '@prune/models';
import { computePasses } from './evaluation-pass.js';
import type { EvaluationJob, FromEvaluationWorker } from './evaluation-protocol.js';

async function run(job: EvaluationJob): Promise<void> {
  await initBackend(job.backend, () => {});
  const model = await modelFromArtifacts(job.model);
  try {
    computePasses(model, job.preprocessing, job.task, job.batches, (index, result) =>
      reply({ kind: 'result', id: job.id, index, result }),
    );
  } finally {
    model.dispose();
  }
}

function reply(message: FromEvaluationWorker): void {
  const transfer = message.kind === 'result' && 'values' in message.result ? [message.result.values.buffer] : [];
  parentPort!.postMessage(message, transfer as ArrayBuffer[]);
}

// Jobs run one at a time, in the order they came: two evaluations sharing the replicas do not
// interleave their kernels (each would only slow the other).
let queue = Promise.resolve();
parentPort!.on('message', (job: EvaluationJob) => {
  queue = queue.then(async () => {
    try {
      await run(job);
      reply({ kind: 'done', id: job.id });
    } catch (error) {
      const kind = errorKind(error);
      reply({
        kind: 'failed',
        id: job.id,
        message: String((error as Error).message ?? error),
        ...(kind ? { error: kind } : {}),
      });
      // A failure that is not the request's may have left the engine broken (a wasm heap after a
      // failed allocation): the thread then ends, and the next evaluation starts a new replica.
      if (!kind) {
        try {
          checkBackend();
        } catch {
          process.exit(1);
        }
      }
    }
  });
});
