// Data-parallel evaluation: the batches of an evaluation or extraction spread over model replicas
// in worker threads, each with its own TF.js engine, whole batches each. Why: at the batch sizes
// evaluation uses, TensorFlow's ops gain little from a second intra-op thread (each small op pays
// to wake the pool), while two engines of one thread each run side by side at nearly twice the
// speed of one (ResNet-56, batch 64, 2 cores, `npm run bench`: 768 against 554 images/s for one
// engine of two threads). Results do not depend on the replica count beyond float rounding: each
// batch is computed whole, as on the calling thread, and combined in batch order. The replicas
// start with the first evaluation that asks for them and live until a replica fails or another
// count is asked for (idle, they do not keep the process alive).
import type { Worker } from 'node:worker_threads';
import { tf, wholeNumberSetting } from '@prune/compute';
import type { Preprocessing } from '@prune/models';
import { errorOfKind } from '@prune/errors';
import { startWorker } from '@prune/service-kit';
import type { OnPassResult, PassBatch, PassResult, PassTask } from './evaluation-pass.js';
import type { EvaluationJob, FromEvaluationWorker } from './evaluation-protocol.js';

/** The most evaluation replicas a process runs. */
export const MAX_EVALUATION_REPLICAS = 16;

/**
 * PRUNE_EVAL_REPLICAS: model replicas (worker threads, each with PRUNE_THREADS threads) that an
 * evaluation spreads its batches over; unset or 1: the calling thread evaluates.
 */
export function evaluationReplicas(value = process.env['PRUNE_EVAL_REPLICAS']): number {
  const meaning = 'model replicas in threads that evaluation spreads its batches over; unset for 1: none';
  return wholeNumberSetting(value, { name: 'PRUNE_EVAL_REPLICAS', max: MAX_EVALUATION_REPLICAS, meaning }) ?? 1;
}

/** A call in flight on a replica: its results so far go to `onResult`; it ends with `resolve` or `reject`. */
interface Call {
  onResult(index: number, result: PassResult): void;
  resolve(): void;
  reject(error: Error): void;
}

class EvaluationThread {
  private readonly worker: Worker = startWorker(new URL('./evaluation-worker.js', import.meta.url));
  private readonly pending = new Map<number, Call>();
  /** Set by retire: the thread terminates the next time nothing is in flight (once). */
  private endWhenIdle = false;
  failure: Error | undefined;

  constructor() {
    this.worker.on('message', (message: FromEvaluationWorker) => {
      const call = this.pending.get(message.id);
      if (message.kind === 'result') {
        try {
          call?.onResult(message.index, message.result);
        } catch (error) {
          this.settle(message.id);
          call?.reject(error as Error);
        }
        return;
      }
      this.settle(message.id);
      if (message.kind === 'done') call?.resolve();
      else if (message.error) call?.reject(errorOfKind(message.error, message.message));
      else call?.reject(new Error(`evaluation replica: ${message.message}`));
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('messageerror', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`an evaluation replica's thread exited (code ${code})`)));
    // An idle replica never keeps the process alive; one computing does (see run). After the
    // listeners: adding a 'message' listener refs the worker again.
    this.worker.unref();
  }

  /** Forgets call `id` (its results are dropped); with nothing left in flight, the thread goes idle. */
  settle(id: number): void {
    if (this.pending.delete(id) && this.pending.size === 0) this.idle();
  }

  /** Nothing in flight: the thread no longer keeps the process alive, and ends if it was retired. */
  private idle(): void {
    this.worker.unref();
    if (!this.endWhenIdle) return;
    this.endWhenIdle = false;
    void this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const call of this.pending.values()) call.reject(this.failure);
    this.pending.clear();
    this.idle();
  }

  /** Ends the thread once the calls in flight on it are answered: a replaced set finishes its work. */
  retire(): void {
    this.endWhenIdle = true;
    if (this.pending.size === 0) this.idle();
  }

  run(job: EvaluationJob, transfer: ArrayBuffer[], onResult: Call['onResult']): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(job.id, { onResult, resolve, reject });
      this.worker.postMessage(job, transfer);
    });
  }
}

export class EvaluationReplicas {
  private static current: EvaluationReplicas | undefined;
  private nextId = 1;

  private constructor(private readonly threads: EvaluationThread[]) {}

  /**
   * The process's `count` replicas: started now if none run, or a replica failed, or another count
   * ran. A set replaced finishes the calls already on it.
   */
  static of(count: number): EvaluationReplicas {
    const current = EvaluationReplicas.current;
    if (current && current.threads.length === count && current.threads.every((t) => !t.failure)) return current;
    for (const thread of current?.threads ?? []) thread.retire();
    EvaluationReplicas.current = new EvaluationReplicas(Array.from({ length: count }, () => new EvaluationThread()));
    process.stderr.write(`[prune] evaluation: ${count} model replicas in threads (PRUNE_EVAL_REPLICAS)\n`);
    return EvaluationReplicas.current;
  }

  /**
   * `task` on each batch with the model of `artifacts`, folded, batch k on replica k mod count;
   * each result goes to `onResult` with the batch's index when it arrives.
   */
  async run<T extends PassTask>(
    artifacts: tf.io.ModelArtifacts,
    preprocessing: Preprocessing,
    task: T,
    batches: PassBatch[],
    onResult: OnPassResult<T>,
  ): Promise<void> {
    const count = this.threads.length;
    const calls: { thread: EvaluationThread; id: number }[] = [];
    try {
      await Promise.all(
        this.threads.map((thread, k) => {
          const indices = batches.map((_, i) => i).filter((i) => i % count === k);
          if (indices.length === 0) return;
          // Copies of this replica's batches only, moved to it: a view would carry all of the data.
          const share = indices.map((i) => {
            const batch = batches[i]!;
            return { ...batch, pixels: batch.pixels.slice(), labels: batch.labels.slice() };
          });
          const job: EvaluationJob = {
            kind: 'job',
            id: this.nextId++,
            backend: tf.getBackend(),
            model: artifacts,
            preprocessing,
            task,
            batches: share,
          };
          calls.push({ thread, id: job.id });
          const transfer = share.flatMap((batch) => [batch.pixels.buffer, batch.labels.buffer]) as ArrayBuffer[];
          // The worker computed `task`, so each result is of its kind.
          return thread.run(job, transfer, (index, result) => onResult(indices[index]!, result as PassResult<T>));
        }),
      );
    } catch (error) {
      // The call failed: the other replicas' parts of it are dropped (a retired replica ends now).
      for (const { thread, id } of calls) thread.settle(id);
      throw error;
    }
  }
}
