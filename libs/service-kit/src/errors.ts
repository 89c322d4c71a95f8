// The edge where errors become gRPC statuses. Libraries throw @prune/errors' domain errors
// (which never name a status); handlers throw StatusError for transport-level problems; and
// `toServiceError` maps both, so every bad request gets a code and a message naming the field.
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { errorKind, type ErrorKind } from '@prune/errors';

export class StatusError extends Error {
  override name = 'StatusError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (field: string, problem: string) =>
  new StatusError(status.INVALID_ARGUMENT, `${field}: ${problem}`);
export const notFound = (what: string) => new StatusError(status.NOT_FOUND, what);
export const failedPrecondition = (message: string) => new StatusError(status.FAILED_PRECONDITION, message);
export const unimplemented = (method: string) =>
  new StatusError(status.UNIMPLEMENTED, `${method} is not implemented by this service yet`);

/** The one map from a domain error's kind to a gRPC status (typed: a kind cannot be misspelled). */
const STATUS_OF: Record<ErrorKind, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  'failed-precondition': status.FAILED_PRECONDITION,
  cancelled: status.CANCELLED,
  'data-loss': status.DATA_LOSS,
};

const MAX_DETAILS = 2000;

/** Maps any thrown value to a gRPC ServiceError; anything not a domain or status error is INTERNAL. */
export function toServiceError(error: unknown): Partial<ServiceError> & { code: status; details: string } {
  const full = error instanceof Error ? error.message : String(error);
  // A backstop for messages that echo input without `quoted`: an answer stays small.
  const message = full.length > MAX_DETAILS ? `${full.slice(0, MAX_DETAILS)}… (${full.length} characters)` : full;
  const kind = errorKind(error);
  const code = error instanceof StatusError ? error.code : kind ? STATUS_OF[kind] : status.INTERNAL;
  return { code, details: message, message, metadata: new Metadata() };
}
