/**
 * ETA-guided polling (polling rule 11), as a pure computation: no timers, no I/O. The
 * planner is told the progress each snapshot showed and when, and turns the backoff delay
 * of the next sleep into an earlier one when the progress seen so far says the operation
 * will be done sooner.
 *
 * - Two or more snapshots with the progress rising give a rate (percent per ms, from the
 *   first snapshot of the current rising run to the latest; the slowest the observations
 *   allow, see `estimate`) and so an estimated completion.
 *   The next poll is planned there, never later than the backoff schedule's next poll and
 *   never sooner than `initialDelayMs` after the last poll. An early poll is an extra one:
 *   the schedule's own polls stay where rule 3 puts them, except that the one after an
 *   early poll also comes no sooner than `initialDelayMs` after it (then the schedule goes
 *   on from there), so no two polls of a wait are ever closer than `initialDelayMs`.
 * - Without usable progress (none reported, or not rising) the delay is the backoff delay
 *   unchanged: exactly polling rule 3.
 * - Progress that falls back starts a new run (the old rate says nothing about the new one).
 * - A poll planned earlier than the backoff delay that finds the operation not done is a
 *   miss. After `MAX_ETA_MISSES` misses the planner stops guiding for the rest of the wait,
 *   so progress that stalls, jumps or falls back costs at most that many polls over rule 3.
 */

/** Early polls that may find the operation still running before ETA guidance stops for a wait. */
export const MAX_ETA_MISSES = 2;

/**
 * How far a reported percentage may lag the true one: progress fields are commonly whole
 * percents (an int32 `progress_percent`), cut down. The estimate takes the slowest rate
 * the observations allow, so it errs late (a poll that comes early costs a whole
 * `initialDelayMs` or more; one that comes late, only the lateness).
 */
export const PROGRESS_QUANTUM = 1;

/**
 * One observation: progress 0..100 of a snapshot that the server read at some Clock time
 * between `sentAt` (the poll left) and `receivedAt` (its answer came back).
 */
interface Point {
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly percent: number;
}

/**
 * Plans the delays of one wait. After each poll that does not end the wait: `observe` the
 * snapshot it returned (if any), then `plan` the sleep.
 */
export class EtaPlanner {
  readonly #initialDelayMs: number;
  /** The first point of the current run of non-falling progress; undefined before any progress. */
  #first: Point | undefined;
  /** The latest point; set together with `#first`. */
  #last: Point | undefined;
  /** True while the poll in flight was planned earlier than the backoff delay. */
  #early = false;
  #misses = 0;
  /** The Clock time of the backoff schedule's next poll; set by the first `plan`. */
  #scheduledAt: number | undefined;

  /** `initialDelayMs`: the shortest delay the planner ever gives (polling option of the same name). */
  constructor(initialDelayMs: number) {
    this.#initialDelayMs = initialDelayMs;
  }

  /** Polls planned early that found the operation still running. */
  get misses(): number {
    return this.#misses;
  }

  /** False once `MAX_ETA_MISSES` early polls missed: from then on `plan` returns the backoff delay. */
  get guiding(): boolean {
    return this.#misses < MAX_ETA_MISSES;
  }

  /**
   * Records a snapshot of a still-running operation, polled from `sentAt` to `receivedAt`
   * (Clock ms), with progress `percent` (0..100, or undefined when it reports none).
   * Undefined, NaN and out-of-range values leave the estimate as it was.
   */
  observe(sentAt: number, receivedAt: number, percent: number | undefined): void {
    if (percent === undefined || !(percent >= 0 && percent <= 100)) return;
    const point = { sentAt, receivedAt, percent };
    if (this.#last === undefined || percent < this.#last.percent) this.#first = point;
    this.#last = point;
  }

  /**
   * The completion time estimated from the progress seen, in Clock ms, or undefined when
   * there is no rising progress to go by (it must rise by more than `PROGRESS_QUANTUM`).
   * The latest completion the observations allow at a steady rate: the least rise
   * (`PROGRESS_QUANTUM` less than reported) over the longest span (from the first poll's
   * sending to the last one's answer), continued from the last answer.
   */
  estimate(): number | undefined {
    const first = this.#first;
    const last = this.#last;
    if (first === undefined || last === undefined) return undefined;
    const rise = last.percent - first.percent - PROGRESS_QUANTUM;
    const span = last.receivedAt - first.sentAt;
    if (!(rise > 0) || !(span > 0)) return undefined;
    return last.receivedAt + ((100 - last.percent) * span) / rise;
  }

  /**
   * The delay before the next poll, planned at `now` (Clock ms). `backoff` draws the next
   * delay of the backoff schedule (rule 3); it is drawn once per poll of that schedule, so
   * an early poll in between leaves the schedule where it was: the following poll is at
   * the time rule 3 would have polled, or sooner. The delay is the estimated completion
   * when that comes before the schedule's next poll, but no sooner than `initialDelayMs`;
   * otherwise the time left to the schedule's next poll. Without guidance it is exactly
   * the drawn backoff delay. Called once per sleep: a call after an early poll means that
   * poll missed (the wait would have ended had it found the operation done).
   */
  plan(now: number, backoff: () => number): number {
    const afterEarly = this.#early;
    if (afterEarly) {
      this.#early = false;
      this.#misses++;
    }
    let untilScheduled: number;
    if (afterEarly && this.#scheduledAt !== undefined) {
      // Whatever planned the poll just made, the next one is at least initialDelayMs after it.
      untilScheduled = Math.max(this.#initialDelayMs, this.#scheduledAt - now);
    } else {
      // The drawn delay itself, not recomputed from the time (which would add float error).
      untilScheduled = backoff();
      this.#scheduledAt = now + untilScheduled;
    }
    const eta = this.guiding ? this.estimate() : undefined;
    if (eta === undefined) return untilScheduled;
    const delay = Math.max(eta - now, this.#initialDelayMs);
    if (!(delay < untilScheduled)) return untilScheduled;
    this.#early = true;
    return delay;
  }
}
