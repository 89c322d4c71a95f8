// One model replica of a data-parallel fine-tune, in its own thread with its own TF.js engine:
// it computes its shard's gradients and applies the combined ones that replicas.ts sends back.
import { parentPort, type MessagePort } from 'node:worker_threads';
import { initBackend, makeReplicaStep, tf, type ReplicaStep } from '@prune/compute';
import { decayedWeights, modelFromArtifacts, type Preprocessing } from '@prune/models';
import { withBatchTensors } from './batch-tensors.js';
import { setOptimizerState } from './optimizer-state.js';
import type { FromReplica, ToReplica } from './replica-protocol.js';

let replies: { port: MessagePort; signal: Int32Array } | undefined;
function send(message: FromReplica, transfer: ArrayBuffer[] = []): void {
  if (!replies) throw new Error('replica: a reply before "start"');
  replies.port.postMessage(message, transfer);
  Atomics.add(replies.signal, 0, 1);
  Atomics.notify(replies.signal, 0);
}

let replica: { step: ReplicaStep; optimizer: tf.MomentumOptimizer; preprocessing: Preprocessing } | undefined;

async function start(message: Extract<ToReplica, { kind: 'start' }>): Promise<void> {
  // The driver's backend: the same kernels keep the replicas' arithmetic equal.
  await initBackend(message.backend, () => {});
  const model = await modelFromArtifacts(message.model);
  const teacher = message.teacher && {
    ...message.teacher,
    model: await modelFromArtifacts(message.teacher.model),
  };
  const { momentum, nesterov, state } = message.optimizer;
  // The rate is set before every step; the driver's momentum (a resumed job's) is copied.
  const optimizer = tf.train.momentum(0, momentum, nesterov) as tf.MomentumOptimizer;
  await setOptimizerState(optimizer, state);
  const step = makeReplicaStep(model, optimizer, {
    weightDecay: message.weightDecay,
    decayedWeights: decayedWeights(model),
    ...(teacher ? { teacher } : {}),
  });
  replica = { step, optimizer, preprocessing: message.preprocessing };
}

function shard(message: Extract<ToReplica, { kind: 'step' }>): void {
  const { step, optimizer, preprocessing } = replica!;
  optimizer.setLearningRate(message.learningRate);
  withBatchTensors(message.pixels, message.labels, message.shape, preprocessing, (x, y) => {
    const { loss, hits, gradients } = step.gradients(x, y);
    const statistics = step.statistics();
    send({ kind: 'shard', loss, hits, gradients, statistics }, [gradients.buffer, statistics.buffer] as ArrayBuffer[]);
  });
}

parentPort!.on('message', (message: ToReplica) => {
  // Messages run in the order sent: only "start" awaits, and the driver sends nothing else before
  // its "ready"; a step's shard is computed after the previous step's update is applied. A failed
  // update is reported as the next reply.
  void (async () => {
    try {
      if (message.kind === 'replies') replies = { port: message.port, signal: new Int32Array(message.signal) };
      else if (message.kind === 'start') {
        await start(message);
        send({ kind: 'ready' });
      } else if (!replica) throw new Error(`replica: "${message.kind}" before "start"`);
      else if (message.kind === 'step') shard(message);
      else replica.step.apply(message.gradients, message.statistics);
    } catch (error) {
      send({ kind: 'failed', message: (error as Error).message });
    }
  })();
});
