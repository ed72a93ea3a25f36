/**
 * longrunning: a typed client for google.longrunning.Operations over gRPC.
 *
 * User-facing exports come first; building blocks for custom transports and GAPIC-style
 * clients follow. The fake server and fake clock are in `longrunning/testing`.
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
export { DEFAULT_MAX_WAIT_CALLS, OperationsClient, type OperationsClientOptions } from './client.js';
export { type Clock, MAX_TIMER_MS, systemClock } from './clock.js';
export { Code, type CodeName, codeFromHttpStatus, codeName } from './code.js';
export {
  type CreateOperationOptions,
  type CustomErrorDetail,
  type CustomOperationError,
  type CustomOperationSpec,
  createOperation,
  type RefreshOptions,
} from './custom-operation.js';
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
export { operationTypesFromMethod, type StartMethod } from './gapic.js';
export { Operation, type OperationTypes, type WaitOptions } from './operation.js';
export { FINAL_POLL_TIMEOUT_MS, type WaitStrategy } from './operation-source.js';
export { OperationsApi, type OperationsApiOptions } from './operations-api.js';
export { PERCENT_FIELDS, progressOf } from './progress.js';
export { builtinRoot, serviceDefinition, TO_OBJECT_OPTIONS } from './protos.js';
export { createRegistry, type Registry, TYPE_URL_PREFIX } from './registry.js';
export { OperationsRestClient, type OperationsRestClientOptions } from './rest-client.js';
export {
  anyFromJson,
  anyToJson,
  type JsonAny,
  type ListOperationsJson,
  type OperationJson,
  operationFromJson,
  operationToJson,
  type StatusJson,
} from './rest-json.js';
export {
  DEFAULT_HTTP_RULES,
  type HttpRules,
  RestTransport,
  type RestTransportOptions,
} from './rest-transport.js';
export {
  type CallOptions,
  DEFAULT_RETRY,
  DEFAULT_RPC_TIMEOUT_MS,
  type ListOperationsPage,
  type ListOperationsRequest,
  type OperationsTransport,
  type RetryPolicy,
} from './transport.js';
export type { Any, RawListResponse, RawOperation, RawStatus } from './types.js';
