// Inside a compute worker thread: serves one ServiceBinding's handlers to the service's event
// loop (compute-worker.ts). The handlers are the same objects a service registers in-process;
// each call gets a stand-in for the gRPC call with what handlers use (request, write, end, the
// 'cancelled' and 'error' events, `cancelled`); handlers that need more of a gRPC call (metadata,
// deadline) do not run in a worker.
import { EventEmitter } from 'node:events';
import { parentPort } from 'node:worker_threads';
import { status, type ServiceError } from '@grpc/grpc-js';
import type { ServiceBinding } from './server.js';
import type { FromWorker, ToWorker, WorkerStatus } from './worker-protocol.js';

export interface WorkerHostOptions {
  /**
   * Proves the compute backend works (e.g. a tiny tensor op read back); run before the worker
   * takes calls and after a call fails with INTERNAL. When it throws, the worker reports itself unhealthy and exits, and the
   * service replaces it: a poisoned backend (a corrupted wasm heap) never serves another call.
   */
  selfCheck?: () => void | Promise<void>;
}

class WorkerCall extends EventEmitter {
  constructor(
    readonly request: unknown,
    private readonly id: number,
    private readonly post: (message: FromWorker) => void,
    private readonly ended: () => void,
    private readonly cancelFlag: Int32Array,
  ) {
    super();
  }
  /** Set by the service's thread the moment the client cancels: a loop that never yields sees it too. */
  get cancelled(): boolean {
    return Atomics.load(this.cancelFlag, 0) === 1;
  }
  write(event: unknown): boolean {
    this.post({ type: 'write', id: this.id, event });
    return true;
  }
  end(): void {
    this.ended();
    this.post({ type: 'end', id: this.id });
  }
}

function statusOf(error: Partial<ServiceError> | null | undefined): WorkerStatus {
  return { code: error?.code ?? status.INTERNAL, details: error?.details ?? error?.message ?? String(error) };
}

type Handler = (call: WorkerCall, callback?: (error: ServiceError | null, response?: unknown) => void) => void;

/** Serves `binding` to the service's thread; ready once the self-check (if any) passes. */
export async function hostInWorker(binding: ServiceBinding, options: WorkerHostOptions = {}): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('hostInWorker runs inside a worker thread (see ComputeWorker.start)');
  const post = (message: FromWorker) => port.postMessage(message);
  const calls = new Map<number, WorkerCall>();
  const checkAfterInternal = async (failure: WorkerStatus) => {
    if (failure.code !== status.INTERNAL || !options.selfCheck) return;
    try {
      await options.selfCheck();
    } catch (error) {
      post({ type: 'unhealthy', reason: `after "${failure.details}": ${(error as Error).message}` });
      process.exit(1); // ends this worker thread only
    }
  };
  const fail = (id: number, failure: WorkerStatus) => {
    calls.delete(id);
    post({ type: 'error', id, status: failure });
    void checkAfterInternal(failure);
  };
  port.on('message', (message: ToWorker) => {
    if (message.type === 'cancel') {
      calls.get(message.id)?.emit('cancelled');
      return;
    }
    const handler = binding.implementation[message.method] as unknown as Handler | undefined;
    const definition = binding.definition[message.method];
    if (!handler || !definition) {
      fail(message.id, { code: status.UNIMPLEMENTED, details: `${message.method} is not served by this worker` });
      return;
    }
    const flag = new Int32Array(message.cancelFlag);
    const call = new WorkerCall(message.request, message.id, post, () => calls.delete(message.id), flag);
    calls.set(message.id, call);
    if (definition.responseStream) {
      call.on('error', (error: ServiceError) => fail(message.id, statusOf(error)));
      handler(call);
    } else {
      handler(call, (error, response) => {
        if (error) return fail(message.id, statusOf(error));
        calls.delete(message.id);
        post({ type: 'response', id: message.id, response });
      });
    }
  });
  // A worker proves it computes before it takes calls (and libtensorflow, once it has run an op,
  // also shuts down cleanly when the worker is stopped).
  await options.selfCheck?.();
  post({ type: 'ready' });
}
