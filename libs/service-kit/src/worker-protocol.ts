// The messages between a service's event loop and the worker thread that computes for it
// (compute-worker.ts on the service side, worker-host.ts inside the worker). Requests, events
// and responses are the contracts' plain message objects, copied by structured clone.

/** From the service to the worker. */
export type ToWorker =
  /** `cancelFlag`: one Int32 the service's thread sets to 1 when the client cancels (call.cancelled). */
  | { type: 'call'; id: number; method: string; request: unknown; cancelFlag: SharedArrayBuffer }
  /** The client went away or cancelled: the handler sees its call's 'cancelled' event. */
  | { type: 'cancel'; id: number };

/** A gRPC status as the handler chose it (status codes are picked in the worker, at the edge). */
export interface WorkerStatus {
  code: number;
  details: string;
}

/** From the worker to the service. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'write'; id: number; event: unknown }
  | { type: 'response'; id: number; response: unknown }
  | { type: 'end'; id: number }
  | { type: 'error'; id: number; status: WorkerStatus }
  /** The worker's compute backend failed its self-check: it exits and is replaced. */
  | { type: 'unhealthy'; reason: string };
