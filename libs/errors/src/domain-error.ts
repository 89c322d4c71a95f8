// What went wrong, in the domain's words. Libraries throw these (or subclasses naming their
// own concern, e.g. ModelFormatError); the service edge alone turns a kind into a transport
// status (service-kit's toServiceError), so libraries never name gRPC codes or proto fields.

/** How a caller should react: fix the request, look elsewhere, retry later, ... */
export type ErrorKind = 'invalid-argument' | 'not-found' | 'failed-precondition' | 'cancelled' | 'data-loss';

export abstract class DomainError extends Error {
  abstract readonly kind: ErrorKind;
}

/** The caller's input is wrong; the message names the input and what to do. */
export class InvalidArgumentError extends DomainError {
  override name = 'InvalidArgumentError';
  readonly kind = 'invalid-argument';
}

/** Something the caller named (a file, a run, a model) does not exist. */
export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
  readonly kind = 'not-found';
}

/** The request is well formed but the system is not in a state to do it (corrupt data, stale checkpoint). */
export class FailedPreconditionError extends DomainError {
  override name = 'FailedPreconditionError';
  readonly kind = 'failed-precondition';
}

/** The work was stopped on request. */
export class CancelledError extends DomainError {
  override name = 'CancelledError';
  readonly kind = 'cancelled';
}

/** Stored bytes do not match what was recorded (a truncated or altered artifact). */
export class DataLossError extends DomainError {
  override name = 'DataLossError';
  readonly kind = 'data-loss';
}

/** The kind of a thrown value, or undefined for anything that is not a domain error (a bug). */
export function errorKind(error: unknown): ErrorKind | undefined {
  return error instanceof DomainError ? error.kind : undefined;
}

const BY_KIND: Record<ErrorKind, new (message: string) => DomainError> = {
  'invalid-argument': InvalidArgumentError,
  'not-found': NotFoundError,
  'failed-precondition': FailedPreconditionError,
  cancelled: CancelledError,
  'data-loss': DataLossError,
};

/** The domain error of `kind` saying `message`: one thrown in another thread, rethrown in this one. */
export function errorOfKind(kind: ErrorKind, message: string): DomainError {
  return new BY_KIND[kind](message);
}
