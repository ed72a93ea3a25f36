/**
 * `OperationsTransport` over gRPC with grpc-js: the five Operations RPCs, each with
 * retries (`withRetry`), a deadline, abort, and request headers. Errors become RpcError
 * with the `grpc-status-details-bin` details decoded.
 */
import * as grpc from '@grpc/grpc-js';
import { RpcError } from '../errors.js';
import { builtinRoot, serviceDefinition } from '../proto/builtin.js';
import { Code } from '../proto/code.js';
import type { Registry } from '../proto/registry.js';
import type { RawOperation } from '../proto/types.js';
import type { Clock } from '../wait/clock.js';
import { Deadline } from '../wait/deadline.js';
import { abortReason } from '../wait/signals.js';
import {
  type CallOptions,
  DEFAULT_RETRY,
  DEFAULT_RPC_TIMEOUT_MS,
  type ListOperationsPage,
  type ListOperationsRequest,
  type OperationsTransport,
} from './operations-transport.js';
import { type Attempt, withRetry } from './retry.js';
import type { WaitConnections, WaitLease } from './wait-connections.js';

/** grpc-js's words for a channel that never connected. */
const NO_CONNECTION = /No connection established|Failed to connect/;

/** Added to a plaintext client's connection failures. */
export const PLAINTEXT_HINT =
  'this client uses plaintext (insecure credentials); if the server expects TLS, pass TLS credentials';

/** How much longer than its `timeout` a WaitOperation call may take before the client gives up on it. */
export const WAIT_DEADLINE_SLACK_MS = 10_000;

type MethodName = 'GetOperation' | 'ListOperations' | 'CancelOperation' | 'DeleteOperation' | 'WaitOperation';

let definition: grpc.ServiceDefinition | undefined;
function operationsDefinition(): grpc.ServiceDefinition {
  definition ??= serviceDefinition(builtinRoot().lookupService('google.longrunning.Operations'));
  return definition;
}

/** Converts headers given as an object or as grpc Metadata into a fresh Metadata. */
export function toMetadata(headers: grpc.Metadata | Record<string, string> | undefined): grpc.Metadata {
  if (headers instanceof grpc.Metadata) return headers.clone();
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers ?? {})) md.set(key, value);
  return md;
}

/**
 * True for a call its connection ended rather than the server answered, and that the
 * caller did not cancel: UNAVAILABLE "Connection dropped", CANCELLED, or the INTERNAL that
 * grpc-js reports as "Received RST_STREAM" (a GOAWAY or a reset connection).
 */
function droppedByConnection(error: RpcError, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted === true) return false;
  return (
    error.code === Code.CANCELLED ||
    (error.code === Code.UNAVAILABLE && /Connection dropped/.test(error.rawMessage)) ||
    (error.code === Code.INTERNAL && error.rawMessage.startsWith('Received RST_STREAM'))
  );
}

/** A wait connection ended a call (`error`); not an RpcError, so the retry loop passes it on at once. */
class ConnectionDropped {
  readonly error: RpcError;
  constructor(error: RpcError) {
    this.error = error;
  }
}

/** The Operations service over one grpc-js client (and, optionally, wait connections). */
export class GrpcTransport implements OperationsTransport {
  readonly #client: grpc.Client;
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #defaults: CallOptions;

  /** `defaults` are merged under each call's options; their headers come first. */
  readonly #plaintext: boolean;

  /** Where held WaitOperation calls go; undefined: on the main client. */
  readonly #waitConnections: WaitConnections | undefined;

  /**
   * `plaintext`: the channel was made without TLS; a failure to connect then says that a
   * TLS server is the likely cause (grpc-js says only that no connection was made).
   * `waitConnections`: connections of their own for WaitOperation calls (see
   * wait-connections.ts); the caller closes them.
   */
  constructor(
    client: grpc.Client,
    registry: Registry,
    clock: Clock,
    defaults: CallOptions,
    { plaintext = false, waitConnections }: { plaintext?: boolean; waitConnections?: WaitConnections } = {},
  ) {
    this.#waitConnections = waitConnections;
    this.#plaintext = plaintext;
    this.#client = client;
    this.#registry = registry;
    this.#clock = clock;
    this.#defaults = defaults;
  }

  get(name: string, options: CallOptions): Promise<RawOperation> {
    return this.#call('GetOperation', { name }, options);
  }

  /**
   * One WaitOperation call. With wait connections, it is held on one of them; a call the
   * connection ended (it dropped) retires that connection and is answered by a GetOperation
   * on the main connection instead, so the caller sees the current state and its next wait
   * goes over a fresh connection.
   */
  wait(name: string, timeoutMs: number, options: CallOptions): Promise<RawOperation> {
    const timeout = { seconds: Math.floor(timeoutMs / 1000), nanos: Math.round((timeoutMs % 1000) * 1e6) };
    const bound = timeoutMs + WAIT_DEADLINE_SLACK_MS;
    const timeoutOfCall = Math.min(options.timeoutMs ?? bound, bound);
    const request = { name, timeout };
    const callOptions = { ...options, timeoutMs: timeoutOfCall };
    const connections = this.#waitConnections;
    if (connections === undefined) return this.#call('WaitOperation', request, callOptions, this.#client);
    return this.#waitOnOwnConnection(connections, request, callOptions, options);
  }

  async #waitOnOwnConnection(
    connections: WaitConnections,
    request: { name: string; timeout: object },
    callOptions: CallOptions,
    options: CallOptions,
  ): Promise<RawOperation> {
    let lease: WaitLease;
    try {
      lease = connections.lease();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new RpcError(Code.FAILED_PRECONDITION, message, [], 'WaitOperation', error);
    }
    try {
      return await this.#call<RawOperation>('WaitOperation', request, callOptions, lease.client, true);
    } catch (error) {
      if (!(error instanceof ConnectionDropped)) throw error;
      if (connections.closed) throw error.error;
      lease.retire();
      const { timeoutMs: _held, ...rest } = options;
      return this.get(request.name, rest);
    } finally {
      lease.release();
    }
  }

  async cancel(name: string, options: CallOptions): Promise<void> {
    await this.#call('CancelOperation', { name }, options);
  }

  async delete(name: string, options: CallOptions): Promise<void> {
    await this.#call('DeleteOperation', { name }, options);
  }

  list(request: ListOperationsRequest, options: CallOptions): Promise<ListOperationsPage> {
    return this.#call('ListOperations', request, options);
  }

  /** One RPC with the merged options, retried by the policy, on `client` (default: the main one). */
  #call<T>(
    method: MethodName,
    request: object,
    options: CallOptions,
    client: grpc.Client = this.#client,
    onWaitConnection = false,
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#defaults.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    const metadata = toMetadata(this.#defaults.metadata);
    if (options.metadata !== undefined) metadata.merge(toMetadata(options.metadata));
    const retry = options.retry ?? this.#defaults.retry ?? DEFAULT_RETRY;
    const deadline = Deadline.after(this.#clock, timeoutMs);
    const signal = options.signal ?? this.#defaults.signal;
    return withRetry(
      (attempt) => this.#attempt<T>(client, method, request, metadata, attempt, onWaitConnection),
      retry,
      this.#clock,
      deadline,
      signal,
    );
  }

  /** One attempt: a unary call with the attempt's deadline, cancelled when the signal aborts. */
  #attempt<T>(
    client: grpc.Client,
    method: MethodName,
    request: object,
    metadata: grpc.Metadata,
    attempt: Attempt,
    onWaitConnection: boolean,
  ): Promise<T> {
    const { signal } = attempt;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const def = operationsDefinition()[method];
    if (def === undefined) return Promise.reject(new Error(`unknown method ${method}`));
    const remaining = attempt.deadline.remainingMs();
    const deadline = Number.isFinite(remaining)
      ? Date.now() + Math.max(0, remaining)
      : Number.POSITIVE_INFINITY;
    return new Promise<T>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      let call: grpc.ClientUnaryCall;
      try {
        call = client.makeUnaryRequest<object, T>(
          def.path,
          def.requestSerialize,
          def.responseDeserialize as (bytes: Buffer) => T,
          request,
          metadata,
          { deadline },
          (error, value) => {
            if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
            if (error !== null) {
              const rpc = this.#rpcError(error, method);
              // Not retried on the same connection: the caller answers it from the main one.
              reject(onWaitConnection && droppedByConnection(rpc, signal) ? new ConnectionDropped(rpc) : rpc);
            } else if (value === undefined) reject(new RpcError(13, 'empty response', [], method));
            else resolve(value);
          },
        );
      } catch (error) {
        // grpc-js throws at once on a closed channel ("Channel has been shut down"): not
        // something a retry or another poll can change.
        const message = error instanceof Error ? error.message : String(error);
        reject(new RpcError(Code.FAILED_PRECONDITION, message, [], method, error));
        return;
      }
      if (signal !== undefined) {
        onAbort = (): void => {
          call.cancel();
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  #rpcError(error: grpc.ServiceError, method: MethodName): RpcError {
    const rpc = RpcError.fromServiceError(error, this.#registry, method);
    if (!this.#plaintext || rpc.code !== Code.UNAVAILABLE || !NO_CONNECTION.test(rpc.rawMessage)) return rpc;
    return new RpcError(rpc.code, rpc.rawMessage, rpc.details, method, error, PLAINTEXT_HINT);
  }
}
