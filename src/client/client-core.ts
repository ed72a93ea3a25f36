/**
 * `OperationsApi`: the google.longrunning.Operations methods and the Operation handles
 * that wait on them, over any `OperationsTransport`. `OperationsClient` (gRPC) and
 * `OperationsRestClient` (HTTP/JSON) are this class with a transport.
 */

import { type PollingOptions, resolvePolling } from '../base/backoff.js';
import type { Clock } from '../base/clock.js';
import { checkMs, checkName, checkPageSize } from '../base/validate.js';
import type { Registry } from '../proto/registry.js';
import { checkCallOptions } from '../transport/call-options.js';
import type {
  CallOptions,
  ListOperationsRequest,
  OperationsTransport,
} from '../transport/operations-transport.js';
import type { StartCaller, StartMethod, UnaryCallback } from '../transport/start-call.js';
import type { ListPollingOptions } from '../wait/list-options.js';
import type { PollBudgetOptions } from '../wait/poll-budget.js';
import { checkSnapshotName } from '../wait/snapshot-name.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import { checkClientOptions } from './client-options.js';
import { ClientState } from './client-state.js';
import { type ListAllOptions, listAll, type OperationsPage } from './list-all.js';
import { Operation, type OperationTypes } from './operation.js';
import { type OperationInput, toRawOperation } from './operation-input.js';
import { decodeResumeToken } from './resume-token.js';

export { DEFAULT_MAX_WAIT_CALLS, debug } from './client-state.js';
export { DEFAULT_MAX_EMPTY_PAGES, type ListAllOptions, type OperationsPage } from './list-all.js';

/** How calls and waits behave by default, whatever the transport. */
export interface OperationsApiOptions {
  /** Per-RPC defaults: timeout, retry, headers. */
  callDefaults?: CallOptions;
  /** Defaults for `wait()` polling. */
  polling?: PollingOptions;
  /** WaitOperation calls open at once (default 64); waiters beyond poll with GetOperation. */
  maxWaitCalls?: number;
  /**
   * One budget for every call the client's waits make (polling rule 12): default
   * `{ perSecond: 'auto' }`, unlimited until the server refuses a call for quota, then
   * adapting (AIMD); a number is a hard cap. Calls made directly are never delayed, but count.
   */
  pollBudget?: PollBudgetOptions;
  /**
   * List reaping (polling rule 13): when `minWaits` (8) or more polling waits share a
   * parent, one paged ListOperations per tick replaces their GetOperation polls. Default
   * `'auto'`; `false` switches it off; an object tunes it.
   */
  listPolling?: 'auto' | false | ListPollingOptions;
}

export { toRawOperation } from './operation-input.js';
/** The options every RPC method takes, checked (re-exported for the clients). */
export { checkCallOptions };

/** The Operations methods and handles over one transport. */
export class OperationsApi {
  /** The registry that unpacks responses, metadata and error details. */
  readonly registry: Registry;
  /**
   * The transport the client's own calls and handles use: the one given, counted in the
   * client's poll budget (never delayed). Exposed for custom handles and tests.
   */
  readonly transport: OperationsTransport;
  /** The injected clock (the system clock by default). */
  readonly clock: Clock;
  /** The state this client shares with its handles, `closed` among it. */
  readonly #state: ClientState;
  /** How `wrap()` calls a start method (its transport's calling conventions). */
  readonly #startCall: StartCaller;

  /**
   * Checks `options` (TypeError / RangeError naming the option). `startCall` is how
   * `wrap()` calls a start method: `callStartMethod` of `longrunning/transport` knows
   * grpc-js stubs, google-gax methods and promise functions.
   */
  constructor(
    transport: OperationsTransport,
    registry: Registry,
    clock: Clock,
    options: OperationsApiOptions,
    startCall: StartCaller,
  ) {
    checkClientOptions(options);
    this.#startCall = startCall;
    this.registry = registry;
    this.clock = clock;
    this.#state = new ClientState(transport, registry, clock, options);
    // Calls made directly go through the poll budget too: never delayed, but counted (rule 12).
    this.transport = this.#state.transport;
  }

  /**
   * A handle on an operation, from its name or a snapshot: what a GAPIC method returned
   * (a grpc-js/proto-loader or protobufjs `IOperation` snapshot, a google-gax `Operation`
   * or its `latestResponse`), proto3 JSON, or another handle (its snapshot). Makes no RPC. `types` declares the response
   * and metadata types and the handle's default polling. Throws TypeError saying what
   * `from` is when it is not an operation, and for a bad `types.polling` value (naming it).
   */
  operation<R = unknown, M = unknown>(from: OperationInput, types?: OperationTypes<M>): Operation<R, M> {
    const raw = from instanceof Operation ? from.raw : toRawOperation(from, this.registry);
    if (types?.polling !== undefined) resolvePolling(types.polling);
    return new Operation<R, M>(this.#state, raw, types);
  }

  /**
   * Wraps a method that starts an operation, so that calling it returns a typed handle:
   * a grpc-js unary stub method of any grpc-js copy (bound; `(req, metadata, options, cb)`
   * or `(req, cb)`), a google-gax GAPIC method, or any `(req) => Promise<snapshot>` (see
   * transport/start-call.ts). The wrapped function rejects with RpcError when the call fails, TypeError
   * when the method misbehaves (throws, returns or calls back with something that is not
   * an operation, calls back twice), and the signal's reason on abort. Polls of the handle
   * use this client's retry policy and headers, never the start call's; `types.polling`
   * is the handle's default polling.
   */
  wrap<Req, R = unknown, M = unknown>(
    method: (request: Req, callback: UnaryCallback) => unknown,
    types?: OperationTypes<M>,
  ): (request: Req, options?: CallOptions) => Promise<Operation<R, M>>;
  wrap<Req, R = unknown, M = unknown>(
    method: StartMethod<Req>,
    types?: OperationTypes<M>,
  ): (request: Req, options?: CallOptions) => Promise<Operation<R, M>>;
  wrap<Req, R = unknown, M = unknown>(
    method: StartMethod<Req>,
    types?: OperationTypes<M>,
  ): (request: Req, options?: CallOptions) => Promise<Operation<R, M>> {
    if (typeof method !== 'function') throw new TypeError('wrap(method): method must be a function');
    return async (request, options) => {
      const raw = await this.#startCall(
        method,
        request,
        checkCallOptions(options),
        this.registry,
        (value) => toRawOperation(value, this.registry),
        types,
      );
      return this.operation<R, M>(raw, types);
    };
  }

  /** A handle from a `serialize()` token: same name, same declared types. Throws TypeError for a bad token. */
  resume<R = unknown, M = unknown>(token: string): Operation<R, M> {
    const { name, responseType, metadataType } = decodeResumeToken(token);
    return this.operation<R, M>(name, {
      ...(responseType === undefined ? {} : { responseType }),
      ...(metadataType === undefined ? {} : { metadataType }),
    });
  }

  /**
   * GetOperation: the latest state of the operation. Rejects with RpcError (NOT_FOUND for
   * an unknown name; INTERNAL, naming both, when the server answers for another name).
   */
  async getOperation(name: string, options?: CallOptions): Promise<Operation> {
    const raw = await this.transport.get(checkName(name), this.#call(options));
    return new Operation(this.#state, checkSnapshotName(raw, name, 'GetOperation'));
  }

  /**
   * One WaitOperation call: returns when the operation is done or `timeoutMs` has passed
   * (the server may return earlier). Rejects with RpcError UNIMPLEMENTED where the server
   * lacks it, and with TypeError where the transport has no WaitOperation at all.
   */
  async waitOperation(
    name: string,
    request: { timeoutMs: number },
    options?: CallOptions,
  ): Promise<Operation> {
    checkName(name);
    const timeoutMs = checkMs(request?.timeoutMs, 'timeoutMs');
    const { wait } = this.transport;
    if (wait === undefined) throw new TypeError('this transport has no WaitOperation');
    const raw = await wait.call(this.transport, name, timeoutMs, this.#call(options));
    return new Operation(this.#state, checkSnapshotName(raw, name, 'WaitOperation'));
  }

  /**
   * ListOperations: one page, each operation a handle that can be read and waited on at
   * once. A bad page token is RpcError INVALID_ARGUMENT; a listed operation without a name,
   * RpcError INTERNAL.
   */
  async listOperations(request: ListOperationsRequest = {}, options?: CallOptions): Promise<OperationsPage> {
    if (request.pageSize !== undefined) checkPageSize(request.pageSize);
    const page = await this.transport.list(request, this.#call(options));
    const unnamed = page.operations.findIndex((raw) => raw.name === '');
    if (unnamed !== -1) {
      // A handle needs a name to be read back, waited on or resumed.
      throw new RpcError(
        Code.INTERNAL,
        `the server listed an unnamed operation (number ${unnamed + 1} of ${page.operations.length} on the page)`,
        [],
        'ListOperations',
      );
    }
    return { ...page, operations: page.operations.map((raw) => new Operation(this.#state, raw)) };
  }

  /**
   * Every operation of the collection, following page tokens, up to `options.limit`.
   * Throws TypeError / RangeError for bad options before any RPC. Stops with RpcError
   * INTERNAL when the server repeats a page token, or sends `maxEmptyPages` empty pages in
   * a row with new tokens (either would otherwise loop forever); with the signal's reason
   * once `options.signal` aborts, before the next operation or page.
   */
  async *listAllOperations(
    request: ListOperationsRequest = {},
    options: ListAllOptions = {},
  ): AsyncGenerator<Operation> {
    yield* listAll((page, call) => this.listOperations(page, call), request, options);
  }

  /** CancelOperation: asks the server to cancel. The operation is done (CANCELLED) only once the server says so. */
  async cancelOperation(name: string, options?: CallOptions): Promise<void> {
    return this.transport.cancel(checkName(name), this.#call(options));
  }

  /** DeleteOperation: the server forgets the operation (it is not cancelled). */
  async deleteOperation(name: string, options?: CallOptions): Promise<void> {
    return this.transport.delete(checkName(name), this.#call(options));
  }

  /**
   * Ends every wait of this client's handles at once with RpcError CANCELLED ("… is
   * closed"), which every later call of the client or its handles also rejects with, and
   * releases what the client opened (`onClose`). Idempotent.
   */
  close(): void {
    const error = new RpcError(Code.CANCELLED, `${this.constructor.name} is closed`, [], 'close');
    if (this.#state.close(error)) this.onClose();
  }

  /**
   * The parents whose polling waits went back to GetOperation because list reaping was
   * switched off for them (rule 13), each with the reason: a listing refused or failed
   * for good, a filter the server ignores, or a running set of more than `maxPages`
   * pages. Empty while reaping works, and with `listPolling: false`.
   */
  get listReapingOff(): ReadonlyMap<string, string> {
    return this.#state.reaper?.switchedOff ?? new Map<string, string>();
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /** Releases the transport's resources; called once, by the first `close()`. */
  protected onClose(): void {}

  #call(options: CallOptions | undefined): CallOptions {
    this.#state.assertOpen();
    return checkCallOptions(options);
  }
}
