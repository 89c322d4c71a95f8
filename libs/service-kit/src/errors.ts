// Errors that carry a gRPC status. Libraries throw plain errors or these; handlers map them
// with `toServiceError`, so every bad request gets a code and a message naming the field.
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';

export class StatusError extends Error {
  override name = 'StatusError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const invalidArgument = (field: string, problem: string) => new StatusError(status.INVALID_ARGUMENT, `${field}: ${problem}`);
export const notFound = (what: string) => new StatusError(status.NOT_FOUND, what);
export const failedPrecondition = (message: string) => new StatusError(status.FAILED_PRECONDITION, message);
export const unimplemented = (method: string) => new StatusError(status.UNIMPLEMENTED, `${method} is not implemented by this service yet`);

/** Errors thrown by domain code for bad input are recognized by `code` (see libs). */
interface CodedError {
  code?: unknown;
  message?: unknown;
}

const DOMAIN_CODES: Record<string, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  CANCELLED: status.CANCELLED,
  UNAVAILABLE: status.UNAVAILABLE,
};

/** Maps any thrown value to a gRPC ServiceError; unknown failures are INTERNAL. */
export function toServiceError(error: unknown): Partial<ServiceError> & { code: status; details: string } {
  const coded = (error ?? {}) as CodedError;
  const message = typeof coded.message === 'string' ? coded.message : String(error);
  let code = status.INTERNAL;
  if (error instanceof StatusError) code = error.code;
  else if (typeof coded.code === 'string' && coded.code in DOMAIN_CODES) code = DOMAIN_CODES[coded.code]!;
  return { code, details: message, message, metadata: new Metadata() };
}
