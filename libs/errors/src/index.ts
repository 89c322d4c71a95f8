export {
  CancelledError,
  DataLossError,
  DomainError,
  errorKind,
  errorOfKind,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from './domain-error.js';
export type { ErrorKind } from './domain-error.js';
export { describeBounds, resolveParameters } from './parameters.js';
export type { ParameterBounds } from './parameters.js';
export { quoted } from './quoted.js';
