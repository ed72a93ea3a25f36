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
import { isMetadataLike, ownMetadata } from './grpc-interop.js';
import {
  type CallOptions,
  DEFAULT_RETRY,
  DEFAULT_RPC_TIMEOUT_MS,
  type ListOperationsPage,
  type ListOperationsRequest,
  type OperationsTransport,
} from './operations-transport.js';
import { type Attempt, withRetry } from './retry.js';

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

/**
 * Converts headers given as an object or as a Metadata of any grpc-js copy (see
 * grpc-interop.ts) into a fresh Metadata of ours; no header is left out.
 */
export function toMetadata(headers: CallOptions['metadata']): grpc.Metadata {
  if (isMetadataLike(headers)) return ownMetadata(headers);
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers ?? {})) md.set(key, value);
  return md;
}

/** The Operations service over one grpc-js client. */
export class GrpcTransport implements OperationsTransport {
  readonly #client: grpc.Client;
  readonly #registry: Registry;
  readonly #clock: Clock;
  readonly #defaults: CallOptions;

  /** `defaults` are merged under each call's options; their headers come first. */
  readonly #plaintext: boolean;

  /**
   * `plaintext`: the channel was made without TLS; a failure to connect then says that a
   * TLS server is the likely cause (grpc-js says only that no connection was made).
   */
  constructor(
    client: grpc.Client,
    registry: Registry,
    clock: Clock,
    defaults: CallOptions,
    { plaintext = false }: { plaintext?: boolean } = {},
  ) {
    this.#plaintext = plaintext;
    this.#client = client;
    this.#registry = registry;
    this.#clock = clock;
    this.#defaults = defaults;
  }

  get(name: string, options: CallOptions): Promise<RawOperation> {
    return this.#call('GetOperation', { name }, options);
  }

  wait(name: string, timeoutMs: number, options: CallOptions): Promise<RawOperation> {
    const timeout = { seconds: Math.floor(timeoutMs / 1000), nanos: Math.round((timeoutMs % 1000) * 1e6) };
    const bound = timeoutMs + WAIT_DEADLINE_SLACK_MS;
    const timeoutOfCall = Math.min(options.timeoutMs ?? bound, bound);
    return this.#call('WaitOperation', { name, timeout }, { ...options, timeoutMs: timeoutOfCall });
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

  /** One RPC with the merged options, retried by the policy. */
  #call<T>(method: MethodName, request: object, options: CallOptions): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#defaults.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    const metadata = toMetadata(this.#defaults.metadata);
    if (options.metadata !== undefined) metadata.merge(toMetadata(options.metadata));
    const retry = options.retry ?? this.#defaults.retry ?? DEFAULT_RETRY;
    const deadline = Deadline.after(this.#clock, timeoutMs);
    const signal = options.signal ?? this.#defaults.signal;
    return withRetry(
      (attempt) => this.#attempt<T>(method, request, metadata, attempt),
      retry,
      this.#clock,
      deadline,
      signal,
    );
  }

  /** One attempt: a unary call with the attempt's deadline, cancelled when the signal aborts. */
  #attempt<T>(method: MethodName, request: object, metadata: grpc.Metadata, attempt: Attempt): Promise<T> {
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
        call = this.#client.makeUnaryRequest<object, T>(
          def.path,
          def.requestSerialize,
          def.responseDeserialize as (bytes: Buffer) => T,
          request,
          metadata,
          { deadline },
          (error, value) => {
            if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
            if (error !== null) reject(this.#rpcError(error, method));
            else if (value === undefined) reject(new RpcError(13, 'empty response', [], method));
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
