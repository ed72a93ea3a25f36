/**
 * A Clock whose time moves only when a test says so, for asserting exact delays without
 * waiting on the wall clock.
 */
import { type Clock, normalizeDelayMs } from '../base/clock.js';
import { abortReason } from '../base/signals.js';

interface PendingSleep {
  readonly dueAt: number;
  readonly ms: number;
  /** Request order, to break ties between sleeps due at the same time. */
  readonly seq: number;
  readonly fire: () => void;
}

/** Real-time turns given to pending work between two firings in `advance()`. */
const SETTLE_TURNS = 4;

async function settle(): Promise<void> {
  for (let i = 0; i < SETTLE_TURNS; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * A manually driven Clock. `sleep()` never uses a timer: it resolves only from
 * `advance()`, when fake time reaches its due time (a 0 ms sleep fires on the next
 * `advance`, even `advance(0)`). Abort behaves as on `systemClock`.
 */
export class FakeClock implements Clock {
  /** Every delay passed to `sleep()`, in order, after normalisation (negative or NaN → 0). */
  readonly sleeps: number[] = [];
  #now: number;
  #seq = 0;
  #pending: PendingSleep[] = [];
  /** Callbacks of `untilSleeping()` calls waiting for the first sleep. */
  #waiters: (() => void)[] = [];
  #advancing = false;

  /** Starts the fake time at `startMs` (a finite number, else `RangeError`). */
  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new RangeError(`startMs must be a finite number (got ${startMs})`);
    this.#now = startMs;
  }

  /** The fake time in ms. */
  now(): number {
    return this.#now;
  }

  /**
   * Records `ms` in `sleeps` and resolves when `advance()` reaches now + ms. If `signal`
   * is already aborted or aborts first, rejects at once with its reason and the sleep is
   * no longer pending; the abort listener is removed either way.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const delay = normalizeDelayMs(ms);
    this.sleeps.push(delay);
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#pending = this.#pending.filter((p) => p !== entry);
        // The listener only exists when a signal was given.
        if (signal !== undefined) reject(abortReason(signal));
      };
      const entry: PendingSleep = {
        dueAt: this.#now + delay,
        ms: delay,
        seq: this.#seq++,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.push(entry);
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** How many sleeps are waiting for fake time to reach them. */
  get pendingSleeps(): number {
    return this.#pending.length;
  }

  /** Due time of the earliest pending sleep, or `undefined` when none is pending. */
  nextDueAt(): number | undefined {
    return this.#earliest()?.dueAt;
  }

  /**
   * Moves fake time forward by `ms` (finite, >= 0, else `RangeError`). Sleeps due within
   * the window fire in due-time order (ties in request order); `now()` reads each one's
   * due time as it resolves, and pending work is settled (a few `setImmediate` turns)
   * before and after each firing, so a sleep requested meanwhile and due within the
   * window fires in the same call. Ends with `now()` at the start time + `ms`. Calls must
   * not overlap: a second concurrent call rejects with an `Error`.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`ms must be a finite number >= 0 (got ${ms})`);
    if (this.#advancing) throw new Error('FakeClock.advance() is already running; await it first');
    this.#advancing = true;
    try {
      const target = this.#now + ms;
      await settle();
      for (let next = this.#earliest(); next !== undefined && next.dueAt <= target; next = this.#earliest()) {
        this.#pending = this.#pending.filter((p) => p !== next);
        this.#now = next.dueAt;
        next.fire();
        await settle();
      }
      this.#now = target;
    } finally {
      this.#advancing = false;
    }
  }

  /**
   * Advances to the due time of the earliest pending sleep and returns the ms advanced.
   * Throws an `Error` when no sleep is pending.
   */
  async advanceToNext(): Promise<number> {
    const due = this.nextDueAt();
    if (due === undefined) throw new Error('FakeClock.advanceToNext(): no sleep is pending');
    const ms = due - this.#now;
    await this.advance(ms);
    return ms;
  }

  /**
   * Resolves with the requested ms of the earliest pending sleep as soon as one is
   * pending (at once if one already is), so a test can interleave real I/O with fake
   * time. Rejects with an `Error` after `timeoutMs` of real time, so a broken test fails
   * instead of hanging; its real timer is cleared on success.
   */
  untilSleeping(timeoutMs = 5000): Promise<number> {
    const first = this.#earliest();
    if (first !== undefined) return Promise.resolve(first.ms);
    return new Promise<number>((resolve, reject) => {
      const wake = (): void => {
        clearTimeout(timer);
        resolve(this.#earliest()?.ms ?? 0);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== wake);
        reject(
          new Error(`FakeClock.untilSleeping(): no sleep was requested within ${timeoutMs} ms of real time`),
        );
      }, timeoutMs);
      this.#waiters.push(wake);
    });
  }

  #earliest(): PendingSleep | undefined {
    let best: PendingSleep | undefined;
    for (const p of this.#pending) {
      if (best === undefined || p.dueAt < best.dueAt || (p.dueAt === best.dueAt && p.seq < best.seq))
        best = p;
    }
    return best;
  }
}
