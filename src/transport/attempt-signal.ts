/**
 * The signal of one call attempt: the caller's signal linked with the attempt's deadline.
 * The deadline runs in real time on `systemClock` (like a gRPC deadline, and unlike the
 * injected Clock, which may be fake), on a ref'd timer, so a pending call keeps the
 * process alive until it settles or times out, as an RPC would.
 */
import { systemClock } from '../wait/clock.js';
import { linkSignals } from '../wait/signals.js';

/** An attempt's signal and how it ended. */
export interface AttemptSignal {
  /** Aborts with the caller's reason, or with a `TimeoutError` DOMException at the deadline. */
  readonly signal: AbortSignal;
  /** True once the deadline passed (as opposed to the caller aborting). */
  timedOut(): boolean;
  /** Clears the deadline timer and removes every listener. Idempotent; call it on every exit path. */
  cleanup(): void;
}

/** Links `caller` with a deadline `remainingMs` from now (none when not finite; 0 or less: at once). */
export function attemptSignal(caller: AbortSignal | undefined, remainingMs: number): AttemptSignal {
  const deadline = new AbortController();
  const stop = new AbortController();
  if (Number.isFinite(remainingMs)) {
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
      stop.abort();
      linked.cleanup();
    },
  };
}
