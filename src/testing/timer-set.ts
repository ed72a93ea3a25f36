/**
 * Real timers owned by one fake server, so that stopping it clears every one it started.
 * (The fake server runs on the wall clock by design: it stands in for a remote service.)
 */
import { MAX_TIMER_MS } from '../wait/clock.js';

/** A set of pending timers that can all be cleared at once. */
export class TimerSet {
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  /**
   * Calls `fn` after `ms` (clamped to 0..2^31-1; NaN counts as 0) unless cleared first.
   * Returns a function that clears the timer; calling it after the timer fired does nothing.
   */
  after(ms: number, fn: () => void): () => void {
    const delay = Number.isNaN(ms) ? 0 : Math.min(Math.max(ms, 0), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, delay);
    this.#timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.#timers.delete(timer);
    };
  }

  /** How many timers are pending. */
  get size(): number {
    return this.#timers.size;
  }

  /** Clears every pending timer. */
  clearAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
