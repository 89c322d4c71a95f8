// Data-parallel fine-tuning in one process. Each batch is split into shards, one per model
// replica: the calling thread computes the first, replicas in worker threads (each with its own
// TF.js engine) the others, all at once. Their gradients are combined, weighted by shard size,
// and every replica applies the same update, so the replicas stay equal. Batch normalization uses
// each shard's own statistics (what PyTorch's DistributedDataParallel does without SyncBatchNorm),
// and the moving statistics are combined the same way every step: results depend on the number of
// replicas, not on the threads or cores that run them.
import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { makeReplicaStep, tf, type ReplicaStep, type tfl, type TrainStepResult } from '@prune/compute';
import { decayedWeights, modelArtifacts, type Preprocessing } from '@prune/models';
import { CancelledError } from '@prune/errors';
import { startWorker } from '@prune/service-kit';
import { withBatchTensors } from './batch-tensors.js';
import { optimizerState } from './optimizer-state.js';
import type { FromReplica, ToReplica } from './replica-protocol.js';

export interface ReplicaOptions {
  weightDecay: number;
  teacher?: { model: tfl.LayersModel; weight: number; temperature: number };
  preprocessing: Preprocessing;
  /** Cancels waiting for the replicas to start. */
  signal?: AbortSignal;
}

/** Shard sizes of a batch of `count` split `parts` ways: as equal as they can be, larger first. */
export function shardSizes(count: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(count / parts) + (i < count % parts ? 1 : 0));
}

/** (sum over k of weights[k] x parts[k]) / total, accumulated in float64 in part order. */
function weightedMean(parts: Float32Array[], weights: number[], total: number): Float32Array {
  // Plain loops: Float32Array.from with a mapping function took 0.2 s for ResNet-56's gradients.
  const sum = new Float64Array(parts[0]!.length);
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    const weight = weights[k]!;
    for (let i = 0; i < part.length; i++) sum[i] += weight * part[i]!;
  }
  const mean = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) mean[i] = sum[i]! / total;
  return mean;
}

/**
 * A model replica in a worker thread, answering in order. Its replies are read synchronously
 * (the calling thread blocks on a shared counter), because a step waits on them anyway and a
 * reply that waits for the event loop to come round arrived tens of milliseconds late here.
 */
class ReplicaThread {
  private readonly worker = startWorker(new URL('./replica-worker.js', import.meta.url));
  private readonly replies: MessagePort;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private received = 0;
  private failure: Error | undefined;

  constructor() {
    this.worker.on('error', (error) => (this.failure ??= error));
    this.worker.on('exit', (code) => (this.failure ??= new Error(`a model replica's thread exited (code ${code})`)));
    const { port1, port2 } = new MessageChannel();
    this.replies = port1;
    this.worker.postMessage({ kind: 'replies', port: port2, signal: this.signal.buffer }, [port2]);
  }

  send(message: ToReplica, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  /** The next reply, which must be of `kind`; a cancel through `signal` is noticed within a second. */
  async next<K extends FromReplica['kind']>(kind: K, signal?: AbortSignal): Promise<Extract<FromReplica, { kind: K }>> {
    // Up to a second at a time, then the event loop runs: a thread that died is noticed.
    while (Atomics.wait(this.signal, 0, this.received, 1000) === 'timed-out') {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.failure) throw this.failure;
      if (signal?.aborted) throw new CancelledError('cancelled while a model replica computed');
    }
    this.received++;
    const reply = receiveMessageOnPort(this.replies)?.message as FromReplica | undefined;
    if (!reply) throw new Error("a model replica's reply did not arrive (its port closed)");
    if (reply.kind === 'failed') throw new Error(`model replica: ${reply.message}`);
    if (reply.kind !== kind) throw new Error(`model replica answered "${reply.kind}", expected "${kind}"`);
    return reply as Extract<FromReplica, { kind: K }>;
  }

  async close(): Promise<void> {
    // Set first: a wait on this replica elsewhere ends instead of waiting for a reply that never comes.
    this.failure ??= new Error('the model replica was closed');
    this.replies.close();
    await this.worker.terminate();
  }
}

export class DataParallelStep {
  /**
   * The last step's combined update, not yet applied here: a step applies it after sending the
   * replicas their next shards, while they apply theirs, instead of leaving them idle meanwhile.
   */
  private pending: { gradients: Float32Array; statistics: Float32Array; learningRate: number } | undefined;

  private constructor(
    private readonly local: ReplicaStep,
    private readonly optimizer: tf.MomentumOptimizer,
    private readonly threads: ReplicaThread[],
    private readonly preprocessing: Preprocessing,
  ) {}

  /**
   * Starts `replicas - 1` replicas of `model` in worker threads, copies of it and of `optimizer`
   * as they are now (a resumed job's momentum included); the calling thread is the first replica.
   */
  static async start(
    replicas: number,
    model: tfl.LayersModel,
    optimizer: tf.MomentumOptimizer,
    options: ReplicaOptions,
  ): Promise<DataParallelStep> {
    const local = makeReplicaStep(model, optimizer, {
      weightDecay: options.weightDecay,
      decayedWeights: decayedWeights(model),
      ...(options.teacher ? { teacher: options.teacher } : {}),
    });
    const { teacher } = options;
    const config = optimizer.getConfig();
    const start: ToReplica = {
      kind: 'start',
      backend: tf.getBackend(),
      model: await modelArtifacts(model),
      ...(teacher ? { teacher: { ...teacher, model: await modelArtifacts(teacher.model) } } : {}),
      optimizer: {
        momentum: config['momentum'] as number,
        nesterov: config['useNesterov'] as boolean,
        state: await optimizerState(optimizer),
      },
      weightDecay: options.weightDecay,
      preprocessing: options.preprocessing,
    };
    const threads: ReplicaThread[] = [];
    try {
      for (let i = 1; i < replicas; i++) threads.push(new ReplicaThread());
      for (const thread of threads) thread.send(start);
      for (const thread of threads) await thread.next('ready', options.signal);
    } catch (error) {
      await Promise.all(threads.map((thread) => thread.close()));
      throw error;
    }
    return new DataParallelStep(local, optimizer, threads, options.preprocessing);
  }

  /**
   * One training step on a batch (raw pixels NHWC, labels) at `learningRate`, on every replica.
   * This thread's model gets the update at the next step or `flush`.
   */
  async step(
    pixels: Uint8Array | Float32Array,
    labels: Uint8Array,
    [count, h, w, c]: [number, number, number, number],
    learningRate: number,
    signal?: AbortSignal,
  ): Promise<TrainStepResult> {
    const sizes = shardSizes(count, this.threads.length + 1);
    const size = h * w * c;
    let first = sizes[0]!;
    this.threads.forEach((thread, i) => {
      const n = sizes[i + 1]!;
      const shard = pixels.slice(first * size, (first + n) * size);
      const shardLabels = labels.slice(first, first + n);
      thread.send({ kind: 'step', pixels: shard, shape: [n, h, w, c], labels: shardLabels, learningRate }, [
        shard.buffer,
        shardLabels.buffer,
      ] as ArrayBuffer[]);
      first += n;
    });
    this.flush();
    const shards = [
      withBatchTensors(
        pixels.subarray(0, sizes[0]! * size),
        labels.subarray(0, sizes[0]!),
        [sizes[0]!, h, w, c],
        this.preprocessing,
        (x, y) => ({ ...this.local.gradients(x, y), statistics: this.local.statistics() }),
      ),
    ];
    for (const thread of this.threads) shards.push(await thread.next('shard', signal));
    const gradients = weightedMean(
      shards.map((s) => s.gradients),
      sizes,
      count,
    );
    const statistics = weightedMean(
      shards.map((s) => s.statistics),
      sizes,
      count,
    );
    for (const thread of this.threads) thread.send({ kind: 'apply', gradients, statistics });
    this.pending = { gradients, statistics, learningRate };
    const loss = shards.reduce((sum, s, k) => sum + sizes[k]! * s.loss, 0) / count;
    return { loss, accuracy: shards.reduce((sum, s) => sum + s.hits, 0) / count };
  }

  /** Applies the last step's update to this thread's model: before it is read or saved. */
  flush(): void {
    if (!this.pending) return;
    const { gradients, statistics, learningRate } = this.pending;
    this.pending = undefined;
    this.optimizer.setLearningRate(learningRate);
    this.local.apply(gradients, statistics);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }
}
