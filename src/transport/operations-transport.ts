/**
 * The narrow interface the Operation handle and clients talk to, and the per-call options
 * every transport accepts. gRPC (`GrpcTransport`) is one implementation; others (HTTP/JSON,
 * custom operations) implement the same methods.
 */
import type * as grpc from '@grpc/grpc-js';
import { Code } from '../wire/code.js';
import type { ListOperationsPage, RawOperation } from '../wire/types.js';

export type { ListOperationsPage } from '../wire/types.js';

import type { MetadataLike } from './grpc-interop.js';

/**
 * Retries of one RPC. Separate from the polling policy (how often a wait asks) and from
 * the per-call timeout (how long one call may take, retries included).
 */
export interface RetryPolicy {
  /** Codes that are retried. RESOURCE_EXHAUSTED is also retried when the error carries `google.rpc.RetryInfo`. */
  readonly codes: readonly number[];
  /** Attempts in all, the first included (1 = no retry). */
  readonly maxAttempts: number;
  /** The delay before the first retry; later ones grow by `multiplier` up to `maxDelayMs`, with ±20% jitter. */
  readonly initialDelayMs: number;
  /** The longest delay between two attempts. */
  readonly maxDelayMs: number;
  /** Each delay is the previous one times this. */
  readonly multiplier: number;
}

/** The retry policy of the Operations RPCs (all five are idempotent). */
export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  codes: Object.freeze([Code.UNAVAILABLE, Code.DEADLINE_EXCEEDED]),
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  multiplier: 2,
});

/** The words of the RpcError RESOURCE_EXHAUSTED the HTTP/JSON transport raises for a body over `maxResponseBytes`. */
export const BODY_TOO_LARGE = 'larger than maxResponseBytes';

/** The words grpc-js gives the RESOURCE_EXHAUSTED of a message over its receive or send limit. */
const GRPC_SIZE_LIMIT = /^(Received|Sent) message larger than max/;

/**
 * True for the RESOURCE_EXHAUSTED a transport raises itself for a message over a size
 * limit (grpc-js's receive and send limits, `maxResponseBytes`): no retry changes it, and
 * it is no quota refusal.
 */
export function isSizeLimitError(code: number, message: string): boolean {
  return (
    code === Code.RESOURCE_EXHAUSTED && (GRPC_SIZE_LIMIT.test(message) || message.includes(BODY_TOO_LARGE))
  );
}

/** The deadline of one call (retries included) when none is given: 60 s. WaitOperation is bounded by its own timeout instead. */
export const DEFAULT_RPC_TIMEOUT_MS = 60_000;

/** The RPCs of google.longrunning.Operations, as errors and logs name them. */
export type MethodName =
  | 'GetOperation'
  | 'ListOperations'
  | 'CancelOperation'
  | 'DeleteOperation'
  | 'WaitOperation';

/** Per-call options accepted by every RPC method. */
export interface CallOptions {
  /**
   * How long the call may take in all, retries included. A finite number of ms ≥ 0 (else
   * TypeError / RangeError before any RPC); one past `MAX_DEADLINE_MS` (about 11,400 years,
   * the most a gRPC deadline holds) means no deadline, as if not given.
   */
  timeoutMs?: number;
  /** Aborting rejects the call at once with `signal.reason` and cancels the RPC in flight. */
  signal?: AbortSignal;
  /**
   * Request headers, added to the client's defaults: an object, or a `Metadata` of any
   * grpc-js copy (read through its public API; binary `-bin` values too).
   */
  metadata?: grpc.Metadata | MetadataLike | Record<string, string>;
  /** The retry policy of this call, or `false` for a single attempt. */
  retry?: RetryPolicy | false;
}

/** A ListOperations request. `name` is the collection, e.g. `'operations'` or `'projects/p/locations/l'`. */
export interface ListOperationsRequest {
  /** The collection to list (e.g. `operations`); on the fake server, a name prefix. */
  name?: string;
  /** A server-defined filter, e.g. `done=true`. */
  filter?: string;
  /** The most operations in one page (the server may return fewer). */
  pageSize?: number;
  /** The `nextPageToken` of the previous page. */
  pageToken?: string;
  /** List what can be reached and name the rest in `unreachable`, instead of failing. */
  returnPartialSuccess?: boolean;
}

/** What the Operation handle needs of a service. Every method rejects with RpcError (or the abort reason). */
export interface OperationsTransport {
  /** GetOperation. */
  get(name: string, options: CallOptions): Promise<RawOperation>;
  /** WaitOperation: returns when the operation is done or `timeoutMs` has passed. Absent: poll only. */
  wait?(name: string, timeoutMs: number, options: CallOptions): Promise<RawOperation>;
  /** CancelOperation: asks the server to cancel; the operation becomes done later, if at all. */
  cancel(name: string, options: CallOptions): Promise<void>;
  /** DeleteOperation: forgets the operation; does not cancel it. */
  delete(name: string, options: CallOptions): Promise<void>;
  /** ListOperations, one page. */
  list(request: ListOperationsRequest, options: CallOptions): Promise<ListOperationsPage>;
}

/**
 * How a client meters each attempt of a call it makes (polling rule 12: one poll budget
 * per client). The client's own layers put it on a call's options under `METER`; the call
 * pipeline (call-pipeline.ts) asks it before each attempt and tells it how each attempt
 * ended. A transport that does not run calls through the pipeline ignores it (the client
 * then meters the call as a whole).
 */
export interface AttemptMeter {
  /**
   * Before attempt `n` (1-based) is sent, with `remainingMs` left of the call's deadline:
   * undefined when it may go now, else a promise that resolves when it may (or rejects
   * with the signal's reason).
   */
  admit(n: number, signal: AbortSignal | undefined, remainingMs: number): Promise<void> | undefined;
  /** An attempt ended: `error` is undefined when it succeeded. Never throws. */
  settled(error: unknown): void;
  /**
   * False: a RESOURCE_EXHAUSTED answer is not retried within the call (the caller's budget
   * and poll loop wait for the quota instead); true keeps the retry policy's behaviour.
   */
  readonly retryExhausted: boolean;
}

/** The options key of a call's `AttemptMeter`. */
export const METER: unique symbol = Symbol('longrunning.meter');

/** Call options that may carry an `AttemptMeter`. */
export type MeteredCallOptions = CallOptions & { readonly [METER]?: AttemptMeter };

/** The meter `options` carry, if any. */
export function meterOf(options: CallOptions): AttemptMeter | undefined {
  return (options as MeteredCallOptions)[METER];
}
