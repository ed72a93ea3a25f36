/**
 * `OperationsTransport` over gRPC with grpc-js: the five Operations RPCs, each with
 * retries, a deadline, abort and request headers from the call pipeline
 * (call-pipeline.ts), each attempt one `grpcUnaryCall`. Errors become RpcError with the
 * `grpc-status-details-bin` details decoded, and the values of the headers the call sent
 * redacted from them (redact-error.ts). (About 300 lines: the five RPCs and the wait
 * path's fallback when a wait connection drops or backs off share the transport's state.)
 */
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../base/clock.js';
import { checkPageSize } from '../base/validate.js';
import { coreRoot, serviceDefinition } from '../proto/builtin.js';
import type { Registry } from '../proto/registry.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import type { RawOperation } from '../wire/types.js';
import { CallPipeline, type HeaderSource, waitCallOptions, waitRequestTimeoutMs } from './call-pipeline.js';
import { isMetadataLike, ownMetadata } from './grpc-interop.js';
import { grpcDeadline, grpcUnaryCall } from './grpc-unary-call.js';
import { checkGrpcHeader, checkHeader } from './headers.js';
import type {
  CallOptions,
  ListOperationsPage,
  ListOperationsRequest,
  MethodName,
  OperationsTransport,
} from './operations-transport.js';
import { headerSecrets, redactOperationErrors, redactRpcError } from './redact-error.js';
import type { Attempt } from './retry.js';
import type { WaitConnections, WaitLease } from './wait-connections.js';

/** grpc-js's words for a channel that never connected. */
const NO_CONNECTION = /No connection established|Failed to connect/;
/** Failures that happen before any TLS or plaintext byte is exchanged: no TLS hint fits them. */
const NEVER_REACHED = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/;

/** Added to a plaintext client's connection failures. */
export const PLAINTEXT_HINT =
  'this client uses plaintext (insecure credentials); if the server expects TLS, pass TLS credentials';

let definition: grpc.ServiceDefinition | undefined;
function operationsDefinition(): grpc.ServiceDefinition {
  definition ??= serviceDefinition(coreRoot().lookupService('google.longrunning.Operations'));
  return definition;
}

/**
 * Converts headers given as an object or as a Metadata of any grpc-js copy (read through
 * its public API, see grpc-interop.ts; no header left out) into a fresh Metadata of ours.
 * Throws TypeError naming `where` and a header that gRPC cannot carry (never its value).
 */
export function toMetadata(headers: CallOptions['metadata'], where = 'metadata'): grpc.Metadata {
  if (isMetadataLike(headers)) return ownMetadata(headers);
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers ?? {})) {
    checkHeader(key, value, where);
    checkGrpcHeader(key, value, where);
    md.set(key, value);
  }
  return md;
}

/** The headers of a call, merged in order into one Metadata (a later source adds values, as `Metadata.merge`). */
function mergedMetadata(sources: readonly HeaderSource[]): grpc.Metadata {
  const [first, ...rest] = sources;
  const metadata = toMetadata(first);
  for (const source of rest) metadata.merge(toMetadata(source));
  return metadata;
}

/**
 * grpc-js's words for a connection that ended under a call: "Connection dropped", or the
 * socket's own error when it was reset or timed out ("read ECONNRESET", "read ETIMEDOUT").
 * Which one a call gets depends on whether the socket's error or its close reaches grpc-js
 * first, so a reset connection can give either.
 */
const CONNECTION_ENDED = /Connection dropped|\bECONNRESET\b|\bETIMEDOUT\b/;

/**
 * True for a call its connection ended rather than the server answered, and that the
 * caller did not cancel: UNAVAILABLE with CONNECTION_ENDED's words, CANCELLED, or the
 * INTERNAL that grpc-js reports as "Received RST_STREAM" (a GOAWAY or a reset connection).
 */
function droppedByConnection(error: RpcError, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted === true) return false;
  return (
    error.code === Code.CANCELLED ||
    (error.code === Code.UNAVAILABLE && CONNECTION_ENDED.test(error.rawMessage)) ||
    (error.code === Code.INTERNAL && error.rawMessage.startsWith('Received RST_STREAM'))
  );
}

/**
 * True for a status only the server gives (NOT_FOUND, PERMISSION_DENIED, …): the call was
 * answered over a working connection. UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, INTERNAL
 * and UNKNOWN may come from the connection or from grpc-js itself.
 */
const NOT_ONLY_FROM_SERVER: readonly number[] = [
  Code.UNAVAILABLE,
  Code.DEADLINE_EXCEEDED,
  Code.CANCELLED,
  Code.INTERNAL,
  Code.UNKNOWN,
];
function answeredByServer(code: number): boolean {
  return !NOT_ONLY_FROM_SERVER.includes(code);
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
  readonly #pipeline: CallPipeline;
  /** True when the channel was made without TLS. */
  readonly #plaintext: boolean;
  /** Where held WaitOperation calls go; undefined: on the main client. */
  readonly #waitConnections: WaitConnections | undefined;

  /**
   * `defaults` are merged under each call's options; their headers come first.
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
    this.#pipeline = new CallPipeline(clock, defaults);
  }

  get(name: string, options: CallOptions): Promise<RawOperation> {
    return this.#call('GetOperation', { name }, options);
  }

  /**
   * One WaitOperation call. With wait connections, it is held on one of them; a call the
   * connection ended (it dropped) retires that connection and is answered by a GetOperation
   * on the main connection instead, so the caller sees the current state and its next wait
   * goes over another connection. While the wait connections back off (they keep
   * dropping, see wait-connections.ts), a wait is answered by a GetOperation on the main
   * connection at once.
   */
  wait(name: string, timeoutMs: number, options: CallOptions): Promise<RawOperation> {
    const held = waitRequestTimeoutMs(timeoutMs);
    const timeout = { seconds: Math.floor(held / 1000), nanos: Math.round((held % 1000) * 1e6) };
    const request = { name, timeout };
    const callOptions = waitCallOptions(options, timeoutMs);
    const connections = this.#waitConnections;
    if (connections === undefined) return this.#call('WaitOperation', request, callOptions);
    return this.#waitOnOwnConnection(connections, request, callOptions, options);
  }

  async #waitOnOwnConnection(
    connections: WaitConnections,
    request: { name: string; timeout: object },
    callOptions: CallOptions,
    options: CallOptions,
  ): Promise<RawOperation> {
    const { timeoutMs: _held, ...getOptions } = options;
    // Most waits find a place at once; only one that has to queue waits (bounded) for it.
    const now = options.signal?.aborted === true ? null : connections.leaseNow();
    const lease = now !== null ? now : await this.#queueForLease(connections, options, callOptions);
    if (lease === undefined) return this.get(request.name, getOptions);
    try {
      const snapshot = await this.#call<RawOperation>('WaitOperation', request, callOptions, lease);
      lease.answered();
      return snapshot;
    } catch (error) {
      if (!(error instanceof ConnectionDropped)) {
        if (RpcError.is(error) && answeredByServer(error.code)) lease.answered();
        throw error;
      }
      if (connections.closed) throw error.error;
      // Given back before the GetOperation, so the dropped connection closes without waiting for it.
      lease.retire();
      lease.release();
      return this.get(request.name, getOptions);
    } finally {
      lease.release();
    }
  }

  /**
   * A place for a wait that has to queue for one: a wait queued for a connection that is
   * still connecting waits no longer than the call itself could (a server that never
   * completes a connection), then polls instead (undefined).
   */
  async #queueForLease(
    connections: WaitConnections,
    options: CallOptions,
    callOptions: CallOptions,
  ): Promise<WaitLease | undefined> {
    try {
      return await connections.lease(options.signal, callOptions.timeoutMs ?? Number.POSITIVE_INFINITY);
    } catch (error) {
      if (options.signal?.aborted === true) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new RpcError(Code.FAILED_PRECONDITION, message, [], 'WaitOperation', error);
    }
  }

  async cancel(name: string, options: CallOptions): Promise<void> {
    await this.#call('CancelOperation', { name }, options);
  }

  async delete(name: string, options: CallOptions): Promise<void> {
    await this.#call('DeleteOperation', { name }, options);
  }

  /** ListOperations; rejects with RangeError, before any RPC, for a `pageSize` int32 cannot hold. */
  async list(request: ListOperationsRequest, options: CallOptions): Promise<ListOperationsPage> {
    if (request.pageSize !== undefined) checkPageSize(request.pageSize);
    return this.#call('ListOperations', request, options);
  }

  /**
   * One RPC through the call pipeline (defaults, deadline, retry), each attempt a unary
   * call: on the main client, or on a wait connection's (`lease`), where a call the
   * connection ended is not retried but rejects at once with ConnectionDropped.
   */
  #call<T>(method: MethodName, request: object, options: CallOptions, lease?: WaitLease): Promise<T> {
    let metadata: grpc.Metadata | undefined;
    /** The values of the headers sent, read only when an attempt fails. */
    let secrets: readonly string[] | undefined;
    return this.#pipeline.run(options, (attempt, call) => {
      metadata ??= mergedMetadata(call.headers);
      const secretsOfCall = (): readonly string[] => {
        secrets ??= headerSecrets(call.headers);
        return secrets;
      };
      return this.#attempt<T>(method, request, metadata, secretsOfCall, attempt, lease);
    });
  }

  /**
   * One attempt: a unary call with the attempt's deadline, cancelled when the signal
   * aborts. Its error shows none of `secrets()` (the values of the headers sent), whatever
   * the server echoed (redact-error.ts).
   */
  #attempt<T>(
    method: MethodName,
    request: object,
    metadata: grpc.Metadata,
    secrets: () => readonly string[],
    attempt: Attempt,
    lease: WaitLease | undefined,
  ): Promise<T> {
    const client = lease === undefined ? this.#client : lease.client;
    const def = operationsDefinition()[method];
    if (def === undefined) return Promise.reject(new Error(`unknown method ${method}`));
    const deadline = grpcDeadline(attempt.deadline.remainingMs());
    return grpcUnaryCall<T>({
      method,
      signal: attempt.signal,
      start: (callback) =>
        client.makeUnaryRequest<object, T>(
          def.path,
          def.requestSerialize,
          // The operations of an answer show none of the secrets in their `error` either.
          (bytes: Buffer) =>
            redactOperationErrors(def.responseDeserialize(bytes) as T, secrets, this.#registry),
          request,
          metadata,
          { deadline },
          callback,
        ),
      toError: (error) => {
        const rpc = redactRpcError(this.#rpcError(error, method), secrets());
        // Not retried on the connection that dropped it: the caller answers it from the main one.
        return lease !== undefined && droppedByConnection(rpc, attempt.signal)
          ? new ConnectionDropped(rpc)
          : rpc;
      },
      // grpc-js throws at once on a closed channel ("Channel has been shut down"): not
      // something a retry or another poll can change.
      onThrow: (error) =>
        new RpcError(
          Code.FAILED_PRECONDITION,
          error instanceof Error ? error.message : String(error),
          [],
          method,
          error,
        ),
    });
  }

  #rpcError(error: grpc.ServiceError, method: MethodName): RpcError {
    const rpc = RpcError.fromServiceError(error, this.#registry, method);
    if (
      !this.#plaintext ||
      rpc.code !== Code.UNAVAILABLE ||
      !NO_CONNECTION.test(rpc.rawMessage) ||
      NEVER_REACHED.test(rpc.rawMessage)
    )
      return rpc;
    return new RpcError(rpc.code, rpc.rawMessage, rpc.details, method, error, PLAINTEXT_HINT);
  }
}
