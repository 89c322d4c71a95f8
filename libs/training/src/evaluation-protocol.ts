// Messages between evaluation-replicas.ts and its model replicas in worker threads
// (evaluation-worker.ts). Everything in them is structured-cloneable.
import type { tf } from '@prune/compute';
import type { ErrorKind } from '@prune/errors';
import type { Preprocessing } from '@prune/models';
import type { PassBatch, PassResult, PassTask } from './evaluation-pass.js';

/**
 * `task` on each of `batches` with the model of `model`, folded; answered with a "result" per
 * batch as it is computed, then "done".
 */
export interface EvaluationJob {
  kind: 'job';
  id: number;
  /** The caller's backend (PRUNE_BACKEND name): the same kernels give the same results. */
  backend: string;
  model: tf.io.ModelArtifacts;
  preprocessing: Preprocessing;
  task: PassTask;
  batches: PassBatch[];
}

export type FromEvaluationWorker =
  /** The result of the job's batch at `index` (its position in the job's batches). */
  | { kind: 'result'; id: number; index: number; result: PassResult }
  | { kind: 'done'; id: number }
  /** `error`: the domain error's kind, for the caller to rethrow as such; unset for any other failure. */
  | { kind: 'failed'; id: number; message: string; error?: ErrorKind };
