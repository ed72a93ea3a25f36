/**
 * `createOperation`: the Operation handle over a non-standard long-running operation
 * (Compute-style `status: 'DONE'`, `progress`, `httpErrorStatusCode`, …), the way
 * python-api-core's `Operation(operation, refresh, cancel)` adapts one.
 *
 * The adapter is an `OperationsTransport` whose GetOperation calls `refresh()` and turns
 * the resource into a snapshot through the given functions. Metadata and response are
 * plain values, not protobuf, so the snapshot carries them as held Anys (held-any.ts):
 * their bytes are the values' JSON text, which keeps change detection (`onProgress`,
 * `watch()`) exact, and reading `op.metadata` / `op.response` returns the value itself.
 * Everything else — polling, backoff, timeouts, abort, shared loops, errors — is the
 * standard handle's.
 */

import { type Clock, systemClock } from '../base/clock.js';
import { isObject } from '../base/is-object.js';
import { checkName } from '../base/validate.js';
import { holdValue } from '../proto/held-any.js';
import { anyFromJson, type JsonAny } from '../proto/json.js';
import { createRegistry, type Registry, TYPE_URL_PREFIX } from '../proto/registry.js';
import { runAttempt } from '../transport/attempt-signal.js';
import { CallPipeline } from '../transport/call-pipeline.js';
import type {
  CallOptions,
  ListOperationsPage,
  OperationsTransport,
} from '../transport/operations-transport.js';
import { Code, codeFromHttpStatus } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import type { RawOperation, RawStatus } from '../wire/types.js';
import { checkCallOptions } from './client-core.js';
import type { BaseClientOptions } from './client-options.js';
import { ClientState } from './client-state.js';
import { Operation } from './operation.js';

/** The type URL of held metadata and response values (not a registered type: only the handle reads them). */
export const CUSTOM_VALUE_TYPE_URL = `${TYPE_URL_PREFIX}longrunning.CustomValue`;

/** An error detail: a decoded value and its type name, or a proto3 JSON Any decoded through the registry. */
export type CustomErrorDetail = { readonly typeName: string; readonly value: unknown } | JsonAny;

/** How a finished operation failed. */
export interface CustomOperationError {
  /** The gRPC code; when absent, `httpStatus` mapped by the standard table, else UNKNOWN. */
  readonly code?: number;
  /** An HTTP status (e.g. Compute's `httpErrorStatusCode`): 404 → NOT_FOUND, 503 → UNAVAILABLE, … */
  readonly httpStatus?: number;
  /** The error message (the OperationError's `rawMessage`). */
  readonly message: string;
  /** `google.rpc.Status`-style details, decoded or converted through the registry; none is dropped. */
  readonly details?: readonly CustomErrorDetail[];
}

/** What `refresh` and `cancel` are given: aborted when the call is abandoned (wait aborted, per-call timeout). */
export interface RefreshOptions {
  /** Aborted when the call is abandoned; pass it on to the fetch or RPC the refresh makes. */
  readonly signal: AbortSignal;
}

/** A non-standard operation, described by how to fetch it and how to read it. */
export interface CustomOperationSpec<Raw, R = unknown, M = unknown> {
  /** The operation's name (used for `op.name`, `op.id`, shared loops and messages). */
  readonly name: string;
  /**
   * Fetches the resource's current state. To have a failure retried (and survived by
   * polling), throw an RpcError with a retryable code (UNAVAILABLE, DEADLINE_EXCEEDED);
   * any other error rejects the poll and the wait.
   */
  readonly refresh: (options: RefreshOptions) => Promise<Raw>;
  /** Asks the service to cancel. Without it `op.cancel()` rejects with RpcError UNIMPLEMENTED. */
  readonly cancel?: (options: RefreshOptions) => Promise<unknown>;
  /** True when the resource is finished, e.g. `(r) => r.status === 'DONE'`. */
  readonly isDone: (raw: Raw) => boolean;
  /** How a finished resource failed, or undefined when it succeeded (default: never failed). */
  readonly getError?: (raw: Raw) => CustomOperationError | undefined;
  /** The metadata, or undefined for none (default: the resource itself, so `op.progress` finds `progress`). */
  readonly getMetadata?: (raw: Raw) => M | undefined;
  /** The result of a finished, successful resource (default: the resource itself). */
  readonly getResponse?: (raw: Raw) => R | undefined;
  /** The state already known (e.g. what the start call returned); a done one is settled without a refresh. */
  readonly initial?: Raw;
}

/**
 * How the handle polls, retries and reads progress: a client's options (the registry
 * decodes JSON-Any error details; `callDefaults` are per-refresh timeout and retry),
 * without `maxWaitCalls` (a refresh holds nothing open).
 */
export interface CreateOperationOptions<M = unknown> extends Omit<BaseClientOptions, 'maxWaitCalls'> {
  /** Reads a 0..100 percentage from the metadata (default: well-known fields such as `progress`). */
  readonly progress?: (metadata: M) => number | undefined;
}

/** The google.rpc.Status of a custom error; details held or converted through the registry. */
function statusOf(error: CustomOperationError, registry: Registry): RawStatus {
  const code =
    error.code !== undefined
      ? error.code
      : error.httpStatus !== undefined
        ? codeFromHttpStatus(error.httpStatus)
        : Code.UNKNOWN;
  const details: RawStatus['details'] = (error.details ?? []).map((detail) => {
    const d: unknown = detail;
    if (isObject(d) && typeof d['@type'] === 'string') return anyFromJson(d, registry);
    const typeName = isObject(d) && typeof d.typeName === 'string' ? d.typeName : '';
    return holdValue(`${TYPE_URL_PREFIX}${typeName}`, isObject(d) ? d.value : d);
  });
  return { code, message: String(error.message ?? ''), details };
}

/** The transport of one custom operation: GetOperation is `refresh`, CancelOperation is `cancel`. */
class CustomTransport<Raw, R, M> implements OperationsTransport {
  readonly #spec: CustomOperationSpec<Raw, R, M>;
  readonly #registry: Registry;
  readonly #pipeline: CallPipeline;

  constructor(spec: CustomOperationSpec<Raw, R, M>, registry: Registry, clock: Clock, defaults: CallOptions) {
    this.#spec = spec;
    this.#registry = registry;
    this.#pipeline = new CallPipeline(clock, defaults);
  }

  /** The snapshot of `raw`. Throws what the spec's functions throw. */
  snapshot(raw: Raw): RawOperation {
    const spec = this.#spec;
    const done = spec.isDone(raw) === true;
    const metadataValue = spec.getMetadata === undefined ? raw : spec.getMetadata(raw);
    const metadata = metadataValue === undefined ? null : holdValue(CUSTOM_VALUE_TYPE_URL, metadataValue);
    const snapshot: RawOperation = { name: spec.name, done, metadata };
    if (!done) return snapshot;
    const error = spec.getError?.(raw);
    if (error !== undefined) return { ...snapshot, error: statusOf(error, this.#registry), result: 'error' };
    const responseValue = spec.getResponse === undefined ? raw : spec.getResponse(raw);
    if (responseValue === undefined) return snapshot;
    return { ...snapshot, response: holdValue(CUSTOM_VALUE_TYPE_URL, responseValue), result: 'response' };
  }

  async get(_name: string, options: CallOptions): Promise<RawOperation> {
    const raw = await this.#call('GetOperation', (signal) => this.#spec.refresh({ signal }), options);
    return this.snapshot(raw);
  }

  async cancel(_name: string, options: CallOptions): Promise<void> {
    const cancel = this.#spec.cancel;
    if (cancel === undefined) throw unimplemented('CancelOperation', 'this operation cannot be cancelled');
    await this.#call('CancelOperation', (signal) => cancel({ signal }), options);
  }

  async delete(): Promise<void> {
    throw unimplemented('DeleteOperation', 'a custom operation cannot be deleted');
  }

  async list(): Promise<ListOperationsPage> {
    throw unimplemented('ListOperations', 'a custom operation has no collection to list');
  }

  /** Runs `fn` through the call pipeline (defaults, deadline, retry), each attempt abandoned at its deadline or on abort. */
  #call<T>(method: string, fn: (signal: AbortSignal) => Promise<T>, options: CallOptions): Promise<T> {
    return this.#pipeline.run(options, (attempt) => runAttempt(method, attempt, fn));
  }
}

function unimplemented(method: string, message: string): RpcError {
  return new RpcError(Code.UNIMPLEMENTED, message, [], method);
}

/**
 * The standard Operation handle over a custom operation. Makes no call (unless `initial`
 * needs converting, which calls the spec's getters). Throws TypeError for a missing name,
 * `refresh` or `isDone`, and what the getters throw on `initial`.
 */
export function createOperation<R = unknown, M = unknown, Raw = unknown>(
  spec: CustomOperationSpec<Raw, R, M>,
  options: CreateOperationOptions<M> = {},
): Operation<R, M> {
  if (typeof spec !== 'object' || spec === null)
    throw new TypeError('createOperation(spec): spec must be an object');
  checkName(spec.name, 'spec.name');
  for (const key of ['refresh', 'isDone'] as const) {
    if (typeof spec[key] !== 'function')
      throw new TypeError(`createOperation(spec): spec.${key} must be a function`);
  }
  for (const key of ['cancel', 'getError', 'getMetadata', 'getResponse'] as const) {
    if (spec[key] !== undefined && typeof spec[key] !== 'function') {
      throw new TypeError(`createOperation(spec): spec.${key} must be a function when given`);
    }
  }
  const callDefaults = checkCallOptions(options.callDefaults, 'callDefaults');
  const registry = options.registry ?? createRegistry();
  const clock = options.clock ?? systemClock;
  const transport = new CustomTransport(spec, registry, clock, callDefaults);
  const context = new ClientState(transport, registry, clock, {
    callDefaults,
    ...(options.polling === undefined ? {} : { polling: options.polling }),
  });
  const initial: RawOperation =
    spec.initial === undefined
      ? { name: spec.name, done: false, metadata: null, error: null, response: null }
      : transport.snapshot(spec.initial);
  return new Operation<R, M>(
    context,
    initial,
    options.progress === undefined ? {} : { progress: options.progress },
  );
}
