/**
 * Time as the library sees it. Everything that waits goes through a `Clock`, so tests can
 * swap in a `FakeClock` (`longrunning/testing`) and assert exact delays. `systemClock` is
 * the only place in the library where `setTimeout` lives.
 */
import { abortReason } from './signals.js';

/** A source of time and of cancellable waits. */
export interface Clock {
  /**
   * The current time in milliseconds. Only differences between readings are meaningful;
   * for `systemClock` it is monotonic (unaffected by changes to the wall clock).
   */
  now(): number;
  /**
   * Resolves after `ms` milliseconds (negative or NaN count as 0). If `signal` is already
   * aborted, or aborts during the wait, rejects at once with `signal.reason`. Leaves no
   * timer and no listener behind on any exit path.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The longest delay one Node.js timer can hold (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The delay a clock actually waits for `ms`: negative and NaN become 0, everything else
 * (including `Infinity`, a wait that only an abort ends) is kept.
 */
export function normalizeDelayMs(ms: number): number {
  return Number.isNaN(ms) ? 0 : Math.max(ms, 0);
}

/**
 * The real clock: `now()` is `performance.now()`; `sleep()` uses ref'd timers, so a wait
 * keeps the process alive as an RPC would. Delays above `MAX_TIMER_MS` are waited out as
 * a chain of timers rather than overflowing (which Node.js would turn into 1 ms).
 */
export const systemClock: Clock = Object.freeze({
  now: (): number => performance.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      let remaining = normalizeDelayMs(ms);
      // Valid while a timer is pending; cleared on abort.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = (): void => {
        clearTimeout(timer);
        // The listener only exists when a signal was given.
        if (signal !== undefined) reject(abortReason(signal));
      };
      const arm = (): void => {
        const chunk = Math.min(remaining, MAX_TIMER_MS);
        remaining -= chunk;
        timer = setTimeout(() => {
          if (remaining > 0) {
            arm();
            return;
          }
          timer = undefined;
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, chunk);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      arm();
    });
  },
});
