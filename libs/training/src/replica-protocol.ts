// Messages between a data-parallel fine-tune (replicas.ts) and its model replicas in other
// threads (replica-worker.ts). Everything in them is structured-cloneable. Replies go through
// `replies`, each followed by an increment of `signal[0]`: the driver blocks on that counter
// and reads the port synchronously, without waiting on its event loop between steps.
import type { MessagePort } from 'node:worker_threads';
import type { tf } from '@prune/compute';
import type { Preprocessing } from '@prune/models';
import type { OptimizerState } from './optimizer-state.js';

export type ToReplica =
  | { kind: 'replies'; port: MessagePort; signal: SharedArrayBuffer }
  | {
      kind: 'start';
      model: tf.io.ModelArtifacts;
      /** The distillation teacher, when the fine-tune distils. */
      teacher?: { model: tf.io.ModelArtifacts; weight: number; temperature: number };
      /** The driver's backend (PRUNE_BACKEND name). */
      backend: string;
      /** The optimizer as the driver has it (a resumed job's momentum included). */
      optimizer: { momentum: number; nesterov: boolean; state: OptimizerState };
      weightDecay: number;
      preprocessing: Preprocessing;
    }
  | {
      kind: 'step';
      pixels: Uint8Array | Float32Array;
      shape: [number, number, number, number];
      labels: Uint8Array;
      learningRate: number;
    }
  | { kind: 'apply'; gradients: Float32Array; statistics: Float32Array };

export type FromReplica =
  | { kind: 'ready' }
  | { kind: 'shard'; loss: number; hits: number; gradients: Float32Array; statistics: Float32Array }
  | { kind: 'failed'; message: string };
