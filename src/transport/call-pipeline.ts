/**
 * The one call pipeline every transport runs an RPC through: the call's options over the
 * client's defaults (resolved here and nowhere else), one Deadline for the whole call,
 * the retry loop (`withRetry`), and each attempt under the time left and the caller's
 * signal. A transport supplies only the attempt: one exchange on its wire.
 */
import type { Clock } from '../base/clock.js';
import { Deadline } from '../base/deadline.js';
import {
  type CallOptions,
  DEFAULT_RETRY,
  DEFAULT_RPC_TIMEOUT_MS,
  meterOf,
  type RetryPolicy,
} from './operations-transport.js';
import { type Attempt, withRetry } from './retry.js';

/**
 * How much longer than its `timeout` a WaitOperation call (gRPC or HTTP) may take before
 * the client gives up on it: the server answers at its timeout, and the slack covers the
 * trip.
 */
export const WAIT_DEADLINE_SLACK_MS = 10_000;

/** Request headers as a caller gives them: a plain object or grpc Metadata. */
export type HeaderSource = NonNullable<CallOptions['metadata']>;

/** A call's options with the client's defaults applied. */
export interface ResolvedCall {
  /** The time the whole call may take, retries included. */
  readonly timeoutMs: number;
  /** The retry policy of the call, or false for none. */
  readonly retry: RetryPolicy | false;
  /** The caller's signal, if any. */
  readonly signal: AbortSignal | undefined;
  /** The client's default headers first, then the call's own; each transport merges them its way. */
  readonly headers: readonly HeaderSource[];
}

/** The longest `timeout` a WaitOperation request carries: google.protobuf.Duration's maximum, 315,576,000,000 s (10,000 years). */
export const MAX_WAIT_TIMEOUT_MS = 315_576_000_000_000;

/**
 * The `timeout` a WaitOperation request carries for a server-side wait of `timeoutMs`:
 * clamped to 0..MAX_WAIT_TIMEOUT_MS (NaN: 0), so a huge `waitChunkMs` sends a valid
 * Duration rather than one a server rejects or a JSON number in exponent notation.
 */
export function waitRequestTimeoutMs(timeoutMs: number): number {
  return Number.isNaN(timeoutMs) ? 0 : Math.min(Math.max(timeoutMs, 0), MAX_WAIT_TIMEOUT_MS);
}

/**
 * The options of a WaitOperation call waiting `waitTimeoutMs` on the server: the call's
 * own `timeoutMs`, capped at `waitTimeoutMs + WAIT_DEADLINE_SLACK_MS` (which is also the
 * default; the client's default per-RPC timeout does not shorten a wait). A bound past
 * `MAX_DEADLINE_MS` is no deadline (see base/deadline.ts).
 */
export function waitCallOptions(options: CallOptions, waitTimeoutMs: number): CallOptions {
  const bound = waitTimeoutMs + WAIT_DEADLINE_SLACK_MS;
  return { ...options, timeoutMs: Math.min(options.timeoutMs ?? bound, bound) };
}

/**
 * A call's `options` over the client's `defaults`: the call's own value of each option
 * wins; then the default's; then the library's (a 60 s timeout, DEFAULT_RETRY). Headers
 * are both, the defaults' first. The one place per-RPC defaults are resolved.
 */
export function resolveCall(defaults: CallOptions, options: CallOptions): ResolvedCall {
  const headers: HeaderSource[] = [];
  if (defaults.metadata !== undefined) headers.push(defaults.metadata);
  if (options.metadata !== undefined) headers.push(options.metadata);
  return {
    timeoutMs: options.timeoutMs ?? defaults.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS,
    retry: options.retry ?? defaults.retry ?? DEFAULT_RETRY,
    signal: options.signal ?? defaults.signal,
    headers,
  };
}

/** One transport's calls: its clock and the client's per-call defaults. */
export class CallPipeline {
  readonly #clock: Clock;
  readonly #defaults: CallOptions;

  /** `defaults` (the client's `callDefaults`) apply under every call's options; their headers come first. */
  constructor(clock: Clock, defaults: CallOptions) {
    this.#clock = clock;
    this.#defaults = defaults;
  }

  /** `options` over this pipeline's defaults (see `resolveCall`). */
  resolve(options: CallOptions): ResolvedCall {
    return resolveCall(this.#defaults, options);
  }

  /**
   * Runs one RPC: resolves `options`, starts the call's deadline, and makes attempts under
   * the retry policy (see `withRetry`), each admitted by the options' `AttemptMeter` when
   * they carry one. Settles as the last attempt does, or with the
   * signal's reason when it aborts, also between attempts.
   */
  run<T>(options: CallOptions, attempt: (attempt: Attempt, call: ResolvedCall) => Promise<T>): Promise<T> {
    const call = this.resolve(options);
    return withRetry(
      (a) => attempt(a, call),
      call.retry,
      this.#clock,
      Deadline.after(this.#clock, call.timeoutMs),
      call.signal,
      meterOf(options),
    );
  }
}
