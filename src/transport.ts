/**
 * longrunning/transport: building blocks for custom transports and GAPIC generators.
 *
 * `OperationsApi` is the transport-neutral client core: give it an `OperationsTransport`
 * and it hands out the same `Operation` handles as `OperationsClient`. `RestTransport`,
 * the HTTP rules and the proto3 JSON mapping are the pieces the HTTP/JSON client is made
 * of; the `DEFAULT_*` constants are the defaults every client applies.
 *
 * @module longrunning/transport
 */

export {
  DEFAULT_CONNECT_BUDGET_MS,
  DEFAULT_FAILURE_BUDGET_MS,
  DEFAULT_INITIAL_DELAY_MS,
  DEFAULT_JITTER,
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_MULTIPLIER,
  DEFAULT_POLLING,
  DEFAULT_WAIT_CHUNK_MS,
} from './base/backoff.js';
export { MAX_TIMER_MS, systemClock } from './base/clock.js';
export { MAX_DEADLINE_MS } from './base/deadline.js';
export { OperationsApi, type OperationsApiOptions } from './client/client-core.js';
export { DEFAULT_MAX_WAIT_CALLS } from './client/grpc-client.js';
export { DEFAULT_MAX_EMPTY_PAGES } from './client/list-all.js';
export { PERCENT_FIELDS, progressOf } from './client/progress.js';
export { builtinRoot, serviceDefinition, TO_OBJECT_OPTIONS } from './proto/builtin.js';
export {
  anyFromJson,
  anyToJson,
  type JsonAny,
  type ListOperationsJson,
  type OperationJson,
  operationFromJson,
  operationToJson,
  type StatusJson,
} from './proto/json.js';
export { TYPE_URL_PREFIX } from './proto/registry.js';
export {
  CallPipeline,
  MAX_WAIT_TIMEOUT_MS,
  type ResolvedCall,
  resolveCall,
  WAIT_DEADLINE_SLACK_MS,
} from './transport/call-pipeline.js';
export { DEFAULT_MAX_RESPONSE_BYTES } from './transport/http-body.js';
export { MAX_REDIRECTS } from './transport/http-redirect.js';
export { DEFAULT_HTTP_RULES, type HttpRules } from './transport/http-rule.js';
export {
  DEFAULT_RETRY,
  DEFAULT_RPC_TIMEOUT_MS,
  type ListOperationsPage,
  type OperationsTransport,
} from './transport/operations-transport.js';
export { RestTransport, type RestTransportOptions } from './transport/rest.js';
export { callStartMethod, type StartCaller, type ToOperation } from './transport/start-call.js';
export {
  DEFAULT_LIST_PAGE_SIZE,
  DEFAULT_MAX_LIST_PAGES,
  DEFAULT_MIN_WAITS,
  defaultParentOf,
  RUNNING_FILTER,
} from './wait/list-options.js';
export { MAX_LIST_MISSES } from './wait/list-reaper.js';
export { FINAL_POLL_TIMEOUT_MS } from './wait/operation-poller.js';
export { DEFAULT_POLL_BUDGET } from './wait/poll-budget.js';
export { codeFromHttpStatus } from './wire/code.js';
