// Thin handler adapters: translate a call into a domain call and errors into status codes.
import type { handleServerStreamingCall, handleUnaryCall, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { toServiceError } from './errors.js';

export function unary<Req, Res>(
  fn: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res,
): handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => fn(call.request, call))
      .then(
        (response) => callback(null, response),
        (error) => callback(toServiceError(error)),
      );
  };
}

/** A server-streaming handler: `fn` writes events; the stream ends when it resolves. */
export function serverStream<Req, Res>(
  fn: (request: Req, write: (event: Res) => void, call: ServerWritableStream<Req, Res>) => Promise<void>,
): handleServerStreamingCall<Req, Res> {
  return (call) => {
    Promise.resolve()
      .then(() => fn(call.request, (event) => call.write(event), call))
      .then(
        () => call.end(),
        // The documented way to end a server stream with a status (grpc-node #1439).
        (error) => call.emit('error', toServiceError(error)),
      );
  };
}
