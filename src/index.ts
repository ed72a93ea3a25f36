/**
 * longrunning: a typed client for google.longrunning.Operations over gRPC and HTTP/JSON.
 *
 * What applications use: the clients, the `Operation` handle, the type registry, the error
 * family and the option and result types. Building blocks for custom transports and GAPIC
 * generators are in `longrunning/transport`; the fake server and fake clock in
 * `longrunning/testing`.
 *
 * @module longrunning
 */

export type { BaseClientOptions } from './client/client-options.js';
export {
  type CreateOperationOptions,
  type CustomErrorDetail,
  type CustomOperationError,
  type CustomOperationSpec,
  createOperation,
  type RefreshOptions,
} from './client/custom-operation.js';
export { operationTypesFromMethod } from './client/gapic.js';
export { OperationsClient, type OperationsClientOptions } from './client/grpc-client.js';
export type { ListAllOptions, OperationsPage } from './client/list-all.js';
export { Operation, type OperationTypes, type WaitOptions } from './client/operation.js';
export type { OperationInput } from './client/operation-input.js';
export type { OperationJsonView } from './client/operation-view.js';
export { OperationsRestClient, type OperationsRestClientOptions } from './client/rest-client.js';
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
export { Code, type CodeName, codeName } from './proto/code.js';
export type { JsonAny } from './proto/json.js';
export { createRegistry, type Registry } from './proto/registry.js';
export type { Any, RawListResponse, RawOperation, RawStatus } from './proto/types.js';
export type { HttpRules } from './transport/http-rule.js';
export type { CallOptions, ListOperationsRequest, RetryPolicy } from './transport/operations-transport.js';
export type { StartMethod, UnaryCallback } from './transport/start-call.js';
export type { PollingOptions } from './wait/backoff.js';
export type { Clock } from './wait/clock.js';
export type { WaitStrategy } from './wait/operation-poller.js';
export type { BaseWaitOptions } from './wait/waiter.js';
