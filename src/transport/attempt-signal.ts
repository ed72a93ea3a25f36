/**
 * The signal of one call attempt: the caller's signal linked with the attempt's deadline.
 * The deadline runs in real time on `systemClock` (like a gRPC deadline, and unlike the
 * injected Clock, which may be fake), on a ref'd timer, so a pending call keeps the
 * process alive until it settles or times out, as an RPC would. `runAttempt` runs one
 * attempt of a fetch-like or callback-free call under it.
 */

import { systemClock } from '../base/clock.js';
import { MAX_DEADLINE_MS } from '../base/deadline.js';
import { abortReason, linkSignals, raceAbort } from '../base/signals.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import type { Attempt } from './retry.js';

/** An attempt's signal and how it ended. */
export interface AttemptSignal {
  /** Aborts with the caller's reason, or with a `TimeoutError` DOMException at the deadline. */
  readonly signal: AbortSignal;
  /** True once the deadline passed (as opposed to the caller aborting). */
  timedOut(): boolean;
  /** Clears the deadline timer and removes every listener. Idempotent; call it on every exit path. */
  cleanup(): void;
}

/** Why an attempt's deadline timer is cancelled: a shared reason, so no DOMException is made (and its stack captured) per attempt. */
const CLEANED_UP = new Error('attempt settled');

/**
 * Links `caller` with a deadline `remainingMs` from now: none when it is not finite or is
 * above `MAX_DEADLINE_MS` (as for gRPC, see base/deadline.ts); 0 or less: at once.
 */
export function attemptSignal(caller: AbortSignal | undefined, remainingMs: number): AttemptSignal {
  const deadline = new AbortController();
  const stop = new AbortController();
  if (Number.isFinite(remainingMs) && remainingMs <= MAX_DEADLINE_MS) {
    systemClock.sleep(Math.max(0, remainingMs), stop.signal).then(
      () => deadline.abort(new DOMException('deadline exceeded', 'TimeoutError')),
      () => {},
    );
  }
  const linked = linkSignals(caller, deadline.signal);
  return {
    signal: linked.signal,
    timedOut: () => deadline.signal.aborted,
    cleanup: () => {
      stop.abort(CLEANED_UP);
      linked.cleanup();
    },
  };
}

/**
 * Runs one attempt of `method` as `fn(signal)`, where the signal aborts at the attempt's
 * deadline or with the caller's signal. It is abandoned at once when either aborts,
 * whether or not `fn` honours the signal: with the caller's reason, or RpcError
 * DEADLINE_EXCEEDED at the deadline. Any other failure is rejected as `mapError` makes it
 * (default: as is). The deadline timer and listeners are removed on every exit path.
 */
export async function runAttempt<T>(
  method: string,
  attempt: Attempt,
  fn: (signal: AbortSignal) => Promise<T>,
  mapError: (error: unknown) => unknown = (error) => error,
): Promise<T> {
  const caller = attempt.signal;
  if (caller?.aborted) throw abortReason(caller);
  const linked = attemptSignal(caller, attempt.deadline.remainingMs());
  try {
    return await raceAbort(
      Promise.resolve().then(() => fn(linked.signal)),
      linked.signal,
    );
  } catch (error) {
    if (caller?.aborted) throw abortReason(caller);
    if (linked.timedOut()) throw new RpcError(Code.DEADLINE_EXCEEDED, 'deadline exceeded', [], method, error);
    throw mapError(error);
  } finally {
    linked.cleanup();
  }
}
