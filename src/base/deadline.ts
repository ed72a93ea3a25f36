/**
 * A point in time by which a wait must end, measured on an injected Clock, so the poll
 * loop can clamp its sleeps and per-RPC timeouts to the time left.
 */
import type { Clock } from './clock.js';

/**
 * The longest timeout that is kept as a deadline: 99,999,999 hours (about 11,400 years,
 * 359,999,996,400,000 ms), the most a gRPC `grpc-timeout` header can carry (8 digits of
 * its largest unit), and well inside what a JavaScript Date and a chain of timers can
 * hold. A longer finite timeout (`Number.MAX_SAFE_INTEGER` used to mean "forever", say) is
 * no deadline at all: the call or wait runs until it ends or is aborted, as it does with
 * no timeout given. Nothing longer ever reaches grpc-js, which would otherwise fail the
 * call with "Deadline is too far in the future" thrown inside a promise.
 */
export const MAX_DEADLINE_MS = 99_999_999 * 3_600_000;

/**
 * A deadline `timeoutMs` after its creation, or no deadline at all. Immutable; every
 * reading asks the clock for the current time.
 */
export class Deadline {
  /** The total budget in ms, or `undefined` when there is no deadline (none given, or one past `MAX_DEADLINE_MS`). */
  readonly timeoutMs: number | undefined;
  readonly #clock: Clock;
  /** `clock.now()` when the deadline was created. */
  readonly #startMs: number;

  private constructor(clock: Clock, timeoutMs: number | undefined) {
    this.#clock = clock;
    this.#startMs = clock.now();
    this.timeoutMs = timeoutMs;
  }

  /**
   * A deadline `timeoutMs` from now on `clock`; `undefined`, or a finite value above
   * `MAX_DEADLINE_MS`, means none. Throws `TypeError` when `timeoutMs` is not a number and
   * `RangeError` when it is not a finite number >= 0; both messages name the option
   * (`name`, default `timeoutMs`) and the value.
   */
  static after(clock: Clock, timeoutMs: number | undefined, name = 'timeoutMs'): Deadline {
    if (timeoutMs !== undefined) {
      if (typeof timeoutMs !== 'number') {
        throw new TypeError(`${name} must be a number (got ${typeof timeoutMs})`);
      }
      if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
        throw new RangeError(`${name} must be a finite number >= 0 (got ${timeoutMs})`);
      }
    }
    return new Deadline(
      clock,
      timeoutMs !== undefined && timeoutMs > MAX_DEADLINE_MS ? undefined : timeoutMs,
    );
  }

  /** Milliseconds left: `Infinity` without a deadline, else at most `MAX_DEADLINE_MS`, never negative. */
  remainingMs(): number {
    if (this.timeoutMs === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.#startMs + this.timeoutMs - this.#clock.now());
  }

  /** True once no time is left (a `timeoutMs` of 0 is expired at once); never without a deadline. */
  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** `ms` shortened to the time left: `min(ms, remainingMs())`. */
  clamp(ms: number): number {
    return Math.min(ms, this.remainingMs());
  }

  /** Milliseconds since the deadline was created, with or without a deadline. */
  elapsedMs(): number {
    return this.#clock.now() - this.#startMs;
  }
}
