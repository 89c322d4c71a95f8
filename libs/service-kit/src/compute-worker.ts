// A service's computation in a worker thread. The service's event loop only answers gRPC (health
// included) and relays: requests go to the worker, progress events and answers come back as they
// happen, a client's cancel reaches the handler. A worker that dies or reports its backend
// broken is replaced, its in-flight calls fail with UNAVAILABLE (retryable), and health says
// NOT_SERVING until the replacement is ready: one bad request cannot stall or poison the service.
// So is a worker still computing a call `cancelGraceMs` after its client cancelled it: a handler
// that never looks at its cancel flag (a long matrix computation, a plug-in's loop) cannot keep
// computing for nobody.
import type { Worker } from 'node:worker_threads';
import { startWorker } from './start-worker.js';
import {
  Metadata,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import type { ServiceBinding } from './server.js';
import type { FromWorker, ToWorker, WorkerStatus } from './worker-protocol.js';

export interface ComputeWorkerOptions {
  definition: ServiceDefinition;
  /**
   * The worker module, named as its built file (`new URL('./worker.js', import.meta.url)`); it
   * builds the service's binding and calls hostInWorker. Run from source, the .ts beside it runs
   * through tsx.
   */
  entry: URL;
  log?: (line: string) => void;
  /** First delay before replacing a worker that stopped (doubles per failed start, at most 30 s). */
  restartDelayMs?: number;
  /** How long a cancelled call may go on before its worker is replaced (default 60 s). */
  cancelGraceMs?: number;
}

interface PendingCall {
  write?(event: unknown): void;
  respond?(response: unknown): void;
  end?(): void;
  fail(failure: WorkerStatus): void;
}

/** The fully qualified service name of a definition, e.g. "prune.v1.TrainerService", from its method paths. */
export function serviceNameOf(definition: ServiceDefinition): string {
  const first = Object.values(definition)[0];
  if (!first) throw new Error('a service definition without methods');
  return first.path.split('/')[1]!;
}

/** The status a handler chose in the worker, as the error grpc-js sends. */
function statusError(failure: WorkerStatus): ServiceError {
  return Object.assign(new Error(failure.details), {
    code: failure.code,
    details: failure.details,
    metadata: new Metadata(),
  });
}

export class ComputeWorker {
  /** The binding to serve: every method of the definition, relayed to the worker. */
  readonly binding: ServiceBinding;
  private worker: Worker | undefined;
  private ready = false;
  private closed = false;
  private nextId = 1;
  private failedStarts = 0;
  /** Whether a worker was ever ready: a process whose first worker cannot start fails instead of retrying. */
  private everReady = false;
  private readonly pending = new Map<number, PendingCall>();
  private readonly listeners: ((serving: boolean) => void)[] = [];
  private readonly log: (line: string) => void;
  private readonly name: string;

  /** Starts the worker and resolves once it is ready to compute (rejects if it cannot start). */
  static async start(options: ComputeWorkerOptions): Promise<ComputeWorker> {
    const worker = new ComputeWorker(options);
    await worker.spawn();
    return worker;
  }

  private constructor(private readonly options: ComputeWorkerOptions) {
    this.log = options.log ?? ((line) => process.stderr.write(line + '\n'));
    this.name = serviceNameOf(options.definition);
    this.binding = { name: this.name, definition: options.definition, implementation: this.relays() };
  }

  /** Whether a worker is ready to compute. */
  get serving(): boolean {
    return this.ready;
  }

  /** Called with false when the worker stops and with true when its replacement is ready. */
  onServingChange(listener: (serving: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** Stops the worker; calls still in flight fail with UNAVAILABLE. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
  }

  private setReady(ready: boolean): void {
    if (this.ready === ready) return;
    this.ready = ready;
    for (const listener of this.listeners) listener(ready);
  }

  private spawn(): Promise<void> {
    const worker = startWorker(this.options.entry);
    this.worker = worker;
    let started = false;
    return new Promise((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          started = true;
          this.everReady = true;
          this.failedStarts = 0;
          this.setReady(true);
          resolve();
        } else if (message.type === 'unhealthy') {
          this.log(`[prune] ${this.name}: compute worker unhealthy (${message.reason}); replacing it`);
          this.setReady(false); // no new calls for it; it exits on its own
        } else {
          this.deliver(message);
        }
      });
      worker.on('error', (error) => {
        this.log(`[prune] ${this.name}: compute worker failed: ${error.stack ?? error.message}`);
        if (!started) reject(new Error(`${this.name}: the compute worker did not start: ${error.message}`));
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.setReady(false);
        for (const [id, call] of this.pending) {
          this.pending.delete(id);
          call.fail({
            code: status.UNAVAILABLE,
            details: `${this.name}: the compute worker stopped (exit code ${code}) during this call; retry`,
          });
        }
        if (!started) {
          reject(new Error(`${this.name}: the compute worker exited with code ${code} before it was ready`));
          this.failedStarts++;
        }
        if (this.closed || !this.everReady) return;
        this.restartLater();
      });
    });
  }

  private restartLater(): void {
    const delay = Math.min(30_000, (this.options.restartDelayMs ?? 500) * 2 ** this.failedStarts);
    setTimeout(() => {
      if (this.closed) return;
      this.log(`[prune] ${this.name}: starting a new compute worker`);
      this.spawn().catch(() => {}); // its exit handler schedules the next attempt
    }, delay).unref();
  }

  private deliver(message: Exclude<FromWorker, { type: 'ready' | 'unhealthy' }>): void {
    const call = this.pending.get(message.id);
    if (!call) return;
    if (message.type === 'write') return call.write?.(message.event);
    this.pending.delete(message.id);
    if (message.type === 'response') call.respond?.(message.response);
    else if (message.type === 'end') call.end?.();
    else call.fail(message.status);
  }

  /** Sends a call to the worker; returns a function that cancels it, or fails it now when no worker is ready. */
  private send(method: string, request: unknown, call: PendingCall): () => void {
    const worker = this.worker;
    if (!worker || !this.ready) {
      call.fail({ code: status.UNAVAILABLE, details: `${this.name}: the compute worker is restarting; retry` });
      return () => {};
    }
    const id = this.nextId++;
    const cancelFlag = new SharedArrayBuffer(4);
    this.pending.set(id, call);
    worker.postMessage({ type: 'call', id, method, request, cancelFlag } satisfies ToWorker);
    return () => {
      if (!this.pending.has(id)) return;
      Atomics.store(new Int32Array(cancelFlag), 0, 1); // seen at once, even by a loop that never yields
      this.worker?.postMessage({ type: 'cancel', id } satisfies ToWorker);
      setTimeout(() => {
        if (!this.pending.has(id) || this.worker !== worker) return;
        // Its other calls fail UNAVAILABLE (clients retry them) as when a worker dies.
        this.log(`[prune] ${this.name}: a cancelled ${method} is still computing; replacing the compute worker`);
        this.setReady(false); // no new calls for it from now, and health says so
        void worker.terminate();
      }, this.options.cancelGraceMs ?? 60_000).unref();
    };
  }

  private relays(): UntypedServiceImplementation {
    const implementation: UntypedServiceImplementation = {};
    for (const [method, definition] of Object.entries(this.options.definition)) {
      implementation[method] = definition.responseStream
        ? (call: ServerWritableStream<unknown, unknown>) => {
            const cancel = this.send(method, call.request, {
              write: (event) => call.write(event),
              end: () => call.end(),
              fail: (failure) => call.emit('error', statusError(failure)),
            });
            call.on('cancelled', cancel);
          }
        : (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
            const cancel = this.send(method, call.request, {
              respond: (response) => callback(null, response),
              fail: (failure) => callback(statusError(failure)),
            });
            call.on('cancelled', cancel);
          };
    }
    return implementation;
  }
}
