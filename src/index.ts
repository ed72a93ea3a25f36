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

export type { PollingOptions } from './base/backoff.js';
export type { Clock } from './base/clock.js';
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
export type { JsonAny } from './proto/json.js';
export { createRegistry, type Registry } from './proto/registry.js';
export type { HttpRules } from './transport/http-rule.js';
export type { CallOptions, ListOperationsRequest, RetryPolicy } from './transport/operations-transport.js';
export type { StartMethod, UnaryCallback } from './transport/start-call.js';
export type { ListPollingOptions } from './wait/list-options.js';
export type { WaitStrategy } from './wait/operation-poller.js';
export type { PollBudgetOptions } from './wait/poll-budget.js';
export type { BaseWaitOptions } from './wait/waiter.js';
export { Code, type CodeName, codeName } from './wire/code.js';
export {
  DecodeError,
  type ErrorDetail,
  LongrunningError,
  OperationError,
  OperationStateError,
  RpcError,
  TimeoutError,
  UnknownTypeError,
} from './wire/errors.js';
export type { Any, RawListResponse, RawOperation, RawStatus } from './wire/types.js';
