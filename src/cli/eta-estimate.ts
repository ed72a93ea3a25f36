/**
 * The ETA a row of `lro wait NAME...` / `lro watch` shows: the time left, estimated from the
 * progress seen over time. Pure: the caller says when it saw each percentage (Clock ms) and
 * asks at any time how much is left, so the ETA counts down between snapshots.
 *
 * The rate is the rise of the current run of non-falling progress over its span, from the
 * first snapshot of the run to the latest, and the operation is assumed to go on at that
 * rate from the latest snapshot. Progress that falls back starts a new run (the old rate
 * says nothing about the new one); progress that stalls lowers the rate, so the ETA grows.
 * (The library's own planner, wait/eta.ts, errs late on purpose to save polls; a display
 * wants the middle estimate.)
 */

/** One observation: `percent` (0..100) seen at Clock time `at`. */
interface Point {
  readonly at: number;
  readonly percent: number;
}

/** An ETA estimate for one operation. */
export class EtaEstimate {
  /** The first point of the current run of non-falling progress; undefined before any progress. */
  #first: Point | undefined;
  /** The latest point; set together with `#first`. */
  #last: Point | undefined;

  /**
   * Records that progress `percent` was seen at `at` (Clock ms). Undefined, NaN and values
   * outside 0..100 are ignored; a value below the last one starts a new run.
   */
  observe(at: number, percent: number | undefined): void {
    if (percent === undefined || !(percent >= 0 && percent <= 100) || !Number.isFinite(at)) return;
    const point = { at, percent };
    if (this.#last === undefined || percent < this.#last.percent) this.#first = point;
    this.#last = point;
  }

  /**
   * The estimated completion time (Clock ms): the latest point when it shows 100%, else
   * continued at the run's rate; undefined while the run has not risen over a time span.
   */
  completionAt(): number | undefined {
    const first = this.#first;
    const last = this.#last;
    if (first === undefined || last === undefined) return undefined;
    if (last.percent >= 100) return last.at;
    const rise = last.percent - first.percent;
    const span = last.at - first.at;
    if (!(rise > 0) || !(span > 0)) return undefined;
    return last.at + ((100 - last.percent) * span) / rise;
  }

  /** The time left at `now` (Clock ms), never below 0; undefined when there is no estimate. */
  remainingMs(now: number): number | undefined {
    const at = this.completionAt();
    return at === undefined ? undefined : Math.max(0, at - now);
  }
}
