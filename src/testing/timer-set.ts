/**
 * The timers of one fake server, so that stopping it clears every one it started. They
 * run on the wall clock by default (the fake server stands in for a remote service), or on
 * a given Clock, e.g. a FakeClock, so a test can move the server's time itself.
 */
import { type Clock, MAX_TIMER_MS } from '../base/clock.js';

/** A set of pending timers that can all be cleared at once. */
export class TimerSet {
  /** The clear function of each pending timer. */
  readonly #pending = new Set<() => void>();
  readonly #clock: Clock | undefined;

  /** `clock`: where time comes from (default: real timers, `setTimeout`). */
  constructor(clock?: Clock) {
    this.#clock = clock;
  }

  /**
   * Calls `fn` after `ms` (clamped to 0..2^31-1; NaN counts as 0) unless cleared first.
   * Returns a function that clears the timer; calling it after the timer fired does nothing.
   */
  after(ms: number, fn: () => void): () => void {
    const delay = Number.isNaN(ms) ? 0 : Math.min(Math.max(ms, 0), MAX_TIMER_MS);
    let clear: () => void;
    if (this.#clock === undefined) {
      const timer = setTimeout(() => {
        this.#pending.delete(clear);
        fn();
      }, delay);
      clear = () => {
        clearTimeout(timer);
        this.#pending.delete(clear);
      };
    } else {
      const cancel = new AbortController();
      this.#clock.sleep(delay, cancel.signal).then(
        () => {
          this.#pending.delete(clear);
          fn();
        },
        () => {}, // cleared: the sleep rejects with the abort reason, and nothing is due.
      );
      clear = () => {
        cancel.abort();
        this.#pending.delete(clear);
      };
    }
    this.#pending.add(clear);
    return clear;
  }

  /** How many timers are pending. */
  get size(): number {
    return this.#pending.size;
  }

  /** Clears every pending timer. */
  clearAll(): void {
    for (const clear of [...this.#pending]) clear();
  }
}
