/**
 * One grpc-js unary call as a promise that honours an AbortSignal: the single place where
 * a callback-style grpc-js call (`client.makeUnaryRequest`, or a generated stub method
 * from any grpc-js copy) is started, settled once, and cancelled on abort.
 */
import type * as grpc from '@grpc/grpc-js';
import { MAX_DEADLINE_MS } from '../base/deadline.js';
import { abortReason } from '../base/signals.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';

/** The callback grpc-js calls with the outcome of a unary call. */
export type UnaryCallback<T> = (error: grpc.ServiceError | null, value?: T) => void;

/** What `grpcUnaryCall` needs to start and settle one call. */
export interface GrpcUnaryCall<T> {
  /**
   * Starts the call, passing `callback` to grpc-js. What it returns is cancelled on abort
   * when it has a `cancel()` method (a `ClientUnaryCall` of any grpc-js copy); a returned
   * promise (a promise-style method) settles the call instead of the callback.
   */
  readonly start: (callback: UnaryCallback<T>) => unknown;
  /** The RPC's name for errors, e.g. `'GetOperation'`. */
  readonly method: string;
  /** Aborting rejects at once with the signal's reason and cancels the call in flight. */
  readonly signal?: AbortSignal | undefined;
  /** The error a grpc-js ServiceError becomes (e.g. `RpcError.fromServiceError` with a registry). */
  readonly toError: (error: grpc.ServiceError) => unknown;
  /** The error a synchronous throw of `start` becomes (default: the thrown value itself). */
  readonly onThrow?: (error: unknown) => unknown;
}

function cancelOf(call: unknown): (() => void) | undefined {
  if (typeof call !== 'object' || call === null || !('cancel' in call)) return undefined;
  const { cancel } = call;
  return typeof cancel === 'function' ? () => Reflect.apply(cancel, call, []) : undefined;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && 'then' in x && typeof x.then === 'function';
}

/**
 * Runs one unary call. Resolves with the response; rejects with `toError(serviceError)`,
 * with RpcError INTERNAL when grpc-js reports success without a value, with
 * `onThrow(thrown)` when `start` throws, and with the abort reason when `signal` aborts
 * (before the start: the call is never made; during it: the call is cancelled). The
 * promise settles once: later callbacks are ignored, and the abort listener is removed on
 * every exit path.
 */
export function grpcUnaryCall<T>(call: GrpcUnaryCall<T>): Promise<T> {
  const { signal, method } = call;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let onAbort: (() => void) | undefined;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const callback: UnaryCallback<T> = (error, value) => {
      settle(() => {
        if (error !== null) reject(call.toError(error));
        else if (value === undefined) reject(new RpcError(Code.INTERNAL, 'empty response', [], method));
        else resolve(value);
      });
    };
    let started: unknown;
    try {
      started = call.start(callback);
    } catch (error) {
      settle(() => reject(call.onThrow === undefined ? error : call.onThrow(error)));
      return;
    }
    if (isThenable(started)) {
      started.then(
        (value) => settle(() => resolve(value as T)),
        (error: unknown) => settle(() => reject(error)),
      );
    }
    if (signal === undefined || settled) return;
    const cancel = cancelOf(started);
    onAbort = (): void => {
      cancel?.();
      settle(() => reject(abortReason(signal)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The grpc-js deadline `remainingMs` from now, for a call's options: `Infinity` (no
 * deadline) when `remainingMs` is not finite or is above `MAX_DEADLINE_MS`, which no
 * `grpc-timeout` header can carry (grpc-js would fail the call with "Deadline is too far
 * in the future", thrown where no caller can catch it). Negative counts as 0. Never throws.
 */
export function grpcDeadline(remainingMs: number): number {
  return Number.isFinite(remainingMs) && remainingMs <= MAX_DEADLINE_MS
    ? Date.now() + Math.max(0, remainingMs)
    : Number.POSITIVE_INFINITY;
}
