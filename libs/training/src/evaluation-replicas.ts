// Data-parallel evaluation: the batches of an evaluation or extraction spread over model replicas
// in worker threads, each with its own TF.js engine, whole batches each. Why: at the batch sizes
// evaluation uses, TensorFlow's ops gain little from a second intra-op thread (each small op pays
// to wake the pool), while two engines of one thread each run side by side at nearly twice the
// speed of one (ResNet-56, batch 64, 2 cores, `npm run bench`: 768 against 554 images/s for one
// engine of two threads). Results do not depend on the replica count beyond float rounding: each
// batch is computed whole, as on the calling thread, and combined in batch order. The replicas
// start with the first evaluation that asks for them and live as long as the process (idle, they
// do not keep it alive).
import type { Worker } from 'node:worker_threads';
import { tf, type tfl } from '@prune/compute';
import { modelArtifacts, type Preprocessing } from '@prune/models';
import { errorOfKind } from '@prune/errors';
import { startWorker } from '@prune/service-kit';
import type { PassBatch, PassResult, PassTask } from './evaluation-pass.js';
import type { EvaluationJob, FromEvaluationWorker } from './evaluation-protocol.js';

/** The most evaluation replicas a process runs. */
export const MAX_EVALUATION_REPLICAS = 16;

/**
 * PRUNE_EVAL_REPLICAS: model replicas (worker threads, each with PRUNE_THREADS threads) that an
 * evaluation spreads its batches over; unset or 1: the calling thread evaluates.
 */
export function evaluationReplicas(value = process.env['PRUNE_EVAL_REPLICAS']): number {
  if (value === undefined || value.trim() === '') return 1;
  const replicas = Number(value);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_EVALUATION_REPLICAS)
    throw new Error(
      `PRUNE_EVAL_REPLICAS="${value}": must be a whole number from 1 to ${MAX_EVALUATION_REPLICAS} ` +
        '(model replicas in threads that evaluation spreads its batches over; unset for 1: none)',
    );
  return replicas;
}

class EvaluationThread {
  private readonly worker: Worker = startWorker(new URL('./evaluation-worker.js', import.meta.url));
  private readonly pending = new Map<number, { resolve(r: PassResult[]): void; reject(e: Error): void }>();
  failure: Error | undefined;

  constructor() {
    this.worker.on('message', (message: FromEvaluationWorker) => {
      const call = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (this.pending.size === 0) this.worker.unref();
      if (message.kind === 'done') call?.resolve(message.results);
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

  private fail(error: Error): void {
    this.failure ??= error;
    for (const call of this.pending.values()) call.reject(this.failure);
    this.pending.clear();
    this.worker.unref();
  }

  close(): void {
    this.fail(new Error('the evaluation replicas were replaced'));
    void this.worker.terminate();
  }

  run(job: EvaluationJob, transfer: ArrayBuffer[]): Promise<PassResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(job.id, { resolve, reject });
      this.worker.postMessage(job, transfer);
    });
  }
}

export class EvaluationReplicas {
  private static current: EvaluationReplicas | undefined;
  private nextId = 1;

  private constructor(private readonly threads: EvaluationThread[]) {}

  /** The process's `count` replicas: started now if none run, or a replica failed, or another count ran. */
  static of(count: number): EvaluationReplicas {
    const current = EvaluationReplicas.current;
    if (current && current.threads.length === count && current.threads.every((t) => !t.failure)) return current;
    for (const thread of current?.threads ?? []) thread.close();
    EvaluationReplicas.current = new EvaluationReplicas(Array.from({ length: count }, () => new EvaluationThread()));
    process.stderr.write(`[prune] evaluation: ${count} model replicas in threads (PRUNE_EVAL_REPLICAS)\n`);
    return EvaluationReplicas.current;
  }

  /** `task` on each batch with `model` folded, batch k on replica k mod count; the results in batch order. */
  async run(
    model: tfl.LayersModel,
    preprocessing: Preprocessing,
    task: PassTask,
    batches: PassBatch[],
  ): Promise<PassResult[]> {
    const artifacts = await modelArtifacts(model);
    const count = this.threads.length;
    const answers = await Promise.all(
      this.threads.map((thread, k) => {
        // Copies of this replica's batches only, moved to it: a view would carry all of the data.
        const share = batches
          .filter((_, i) => i % count === k)
          .map((batch) => ({ ...batch, pixels: batch.pixels.slice(), labels: batch.labels.slice() }));
        if (share.length === 0) return [];
        const job: EvaluationJob = {
          kind: 'job',
          id: this.nextId++,
          backend: tf.getBackend(),
          model: artifacts,
          preprocessing,
          task,
          batches: share,
        };
        return thread.run(job, share.flatMap((batch) => [batch.pixels.buffer, batch.labels.buffer]) as ArrayBuffer[]);
      }),
    );
    return batches.map((_, i) => answers[i % count]![Math.floor(i / count)]!);
  }
}
