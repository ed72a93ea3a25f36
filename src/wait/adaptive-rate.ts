/**
 * The rate of a client's poll budget when it is `'auto'` (polling rule 12), as a pure
 * computation on injected time: additive increase, multiplicative decrease (AIMD), as TCP
 * and Google's SRE client-side throttling adapt to a shared limit without talking to
 * each other.
 *
 * - The rate starts unlimited (Infinity): a client that never meets a quota is never slowed.
 * - The first quota refusal (RESOURCE_EXHAUSTED, HTTP 429) sets it below the rate of calls
 *   that succeeded in the last few seconds (`FIRST_DECREASE` of the most that succeeded
 *   within one second of them): what the quota let through is the best guess of the quota.
 *   The answers to the burst that met the quota come in over a moment, so for a second
 *   after that refusal the rate rises with them, to the same share of what got through. A
 *   refusal when nothing succeeded lately says nothing of the quota and leaves the rate as
 *   it is.
 * - Each further refusal of a call sent after the last decrease multiplies it by
 *   `DECREASE`. Refusals of calls sent before it, or at the same instant (already in
 *   flight), change nothing more: they were answered for a rate that is gone.
 * - Each success of a call sent after the last decrease, while calls are waiting for
 *   tokens (the rate, not the demand, is the limit), adds `INCREASE_PER_SUCCESS` calls a
 *   second: at `rate` successes a second the rate grows by 2 % a second, so one cycle of
 *   growth and decrease takes about ten seconds at any quota (a fixed step per second
 *   would refuse most calls of a quota of one a second, and crawl at a thousand).
 * - Never below `MIN_RATE`.
 *
 * Several processes sharing one quota each do the same and converge on shares of it.
 */

/** Share of the recent success rate that the first refusal sets the rate to. */
export const FIRST_DECREASE = 0.9;
/** Factor of each further decrease. */
export const DECREASE = 0.8;
/** Calls per second the rate gains with each success while it is the limit. */
export const INCREASE_PER_SUCCESS = 0.02;
/** The lowest rate, in calls per second: one call every 5 s. */
export const MIN_RATE = 0.2;
/** How far back successes are counted for the first decrease, in ms. */
export const SUCCESS_WINDOW_MS = 5_000;
/** Buckets of the success window. */
const BUCKETS = 10;
const BUCKET_MS = SUCCESS_WINDOW_MS / BUCKETS;
/** Buckets in one second. */
const BUCKETS_PER_SECOND = 1000 / BUCKET_MS;

/** An AIMD rate in calls per second, adapting to quota refusals. */
export class AdaptiveRate {
  /** Calls per second; Infinity until the first refusal. */
  #rate = Number.POSITIVE_INFINITY;
  /** Clock time of the last decrease (-Infinity before any). */
  #decreasedAt = Number.NEGATIVE_INFINITY;
  /** Clock time of the first refusal that set the rate (-Infinity before it). */
  #firstRefusedAt = Number.NEGATIVE_INFINITY;
  /** Successes per bucket of `BUCKET_MS`, a ring indexed by bucket number modulo BUCKETS. */
  readonly #counts = new Array<number>(BUCKETS).fill(0);
  /** The bucket number (time / BUCKET_MS, floored) each ring slot holds. */
  readonly #slots = new Array<number>(BUCKETS).fill(Number.NEGATIVE_INFINITY);

  /** Calls per second (Infinity: not limited). */
  get rate(): number {
    return this.#rate;
  }

  /**
   * A call sent at `sentAt` succeeded (or was answered with anything but a quota refusal)
   * at `now`. `limited`: calls were waiting for tokens, so the rate is what holds them back.
   */
  succeeded(sentAt: number, now: number, limited: boolean): void {
    this.#countSuccess(now);
    // The answers to the burst that met the quota come in over a moment: until a second after
    // the first refusal, the rate follows what the quota is seen to let through.
    if (now - this.#firstRefusedAt < 1000) {
      this.#rate = Math.max(this.#rate, FIRST_DECREASE * this.recentSuccessRate(now));
      return;
    }
    if (limited && Number.isFinite(this.#rate) && sentAt > this.#decreasedAt)
      this.#rate += INCREASE_PER_SUCCESS;
  }

  /** Counts one success at `now` in the success window. */
  #countSuccess(now: number): void {
    const bucket = Math.floor(now / BUCKET_MS);
    const slot = ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
    if (this.#slots[slot] !== bucket) {
      this.#slots[slot] = bucket;
      this.#counts[slot] = 0;
    }
    this.#counts[slot] = (this.#counts[slot] ?? 0) + 1;
  }

  /**
   * A call sent at `sentAt` was refused for quota at `now`. Returns true when the rate
   * was lowered (the first refusal, or one of a call sent after the last decrease).
   */
  refused(sentAt: number, now: number): boolean {
    if (!Number.isFinite(this.#rate)) {
      const recent = this.recentSuccessRate(now);
      // No call got through lately: nothing says what the quota is; the server's pause (if
      // any) holds the calls, and the first refusal after a success sets the rate.
      if (recent === 0) return false;
      this.#rate = Math.max(MIN_RATE, FIRST_DECREASE * recent);
      this.#firstRefusedAt = now;
    } else if (sentAt > this.#decreasedAt) {
      this.#rate = Math.max(MIN_RATE, this.#rate * DECREASE);
    } else {
      return false;
    }
    this.#decreasedAt = now;
    return true;
  }

  /**
   * The most calls that succeeded within one second over the last `SUCCESS_WINDOW_MS`: what
   * the quota let through when the client asked most of it (a mean over the window would
   * count the quiet seconds before a burst against the quota).
   */
  recentSuccessRate(now: number): number {
    const current = Math.floor(now / BUCKET_MS);
    const perBucket = (bucket: number): number => {
      const slot = ((bucket % BUCKETS) + BUCKETS) % BUCKETS;
      return this.#slots[slot] === bucket ? (this.#counts[slot] ?? 0) : 0;
    };
    let peak = 0;
    for (let b = current - BUCKETS + 1; b <= current; b++) {
      let second = 0;
      for (let k = 0; k < BUCKETS_PER_SECOND; k++) second += perBucket(b - k);
      peak = Math.max(peak, second);
    }
    return peak;
  }
}
