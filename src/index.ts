/**
 * longrunning: a typed client for google.longrunning.Operations over gRPC.
 *
 * User-facing exports come first; building blocks for custom transports and GAPIC-style
 * clients follow.
 */

export {
  DEFAULT_INITIAL_DELAY_MS,
  DEFAULT_JITTER,
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_MULTIPLIER,
  DEFAULT_POLLING,
  DEFAULT_WAIT_CHUNK_MS,
  type PollingOptions,
} from './backoff.js';
export { type Clock, systemClock } from './clock.js';
export { Code, type CodeName, codeFromHttpStatus, codeName } from './code.js';
export {
  DecodeError,
  type ErrorDetail,
  LongrunningError,
  OperationError,
  OperationStateError,
  RpcError,
  TimeoutError,
  UnknownTypeError,
} from './errors.js';
export { builtinRoot, serviceDefinition, TO_OBJECT_OPTIONS } from './protos.js';
export { createRegistry, type Registry, TYPE_URL_PREFIX } from './registry.js';
export type { Any, RawListResponse, RawOperation, RawStatus } from './types.js';
