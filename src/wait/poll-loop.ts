/**
 * A polling loop shared by every waiter of one key (an operation name, per client), that
 * knows nothing of protobuf: it asks its source for a snapshot, hands it to each waiter,
 * times out waiters whose deadline has passed, fails waiters whose polls have kept failing
 * for their failure budget, and sleeps a backoff delay clamped to the earliest deadline.
 * It runs while it has waiters and stops (cancelling the poll or the sleep in flight) when
 * the last one leaves. The schedule is decided in one place, `#plan()`. A snapshot can
 * also come without a poll (`offer`, from list reaping), and a sleep can be ended early
 * (`wake`). (About 350 lines: joining, replanning, sleeping and offered snapshots all read
 * and write the loop's private state.)
 */
import { Backoff, type BackoffOptions } from '../base/backoff.js';
import type { Clock } from '../base/clock.js';
import type { PollResult, PollSource, Waiter } from './poll-contract.js';
import { type PollResultKind, tracePoll } from './tracing.js';

/**
 * The reason the loop aborts its own poll or sleep with. Never seen by callers (the loop
 * only stops once no waiter is left); shared, so finishing a wait allocates no error.
 */
const STOPPED = new Error('poll loop stopped');
/** The reason a poll or sleep is cut short when a joining waiter needs it bounded sooner. */
const REPLAN = new Error('poll replaced by one that suits a joining waiter');
/** The reason a sleep is cut short when the source says the next poll can go now. */
const WOKEN = new Error('sleep ended by the poll source');

/** When a waiter joined: the loop's poll count and the Clock time. */
interface Joined {
  readonly polls: number;
  readonly at: number;
}

/** A traced poll's result: `done` is undefined when the poll failed and polling goes on. */
function pollResultKind(done: boolean | undefined): PollResultKind {
  return done === undefined ? 'retry' : done ? 'done' : 'running';
}

/** One loop, run while it has waiters. */
export class PollLoop<S> {
  readonly #source: PollSource<S>;
  readonly #clock: Clock;
  readonly #backoffOptions: BackoffOptions;
  /** Made at the first delay drawn: a held wait that comes back done never needs one. */
  #backoff: Backoff | undefined;
  readonly #onIdle: () => void;
  readonly #waiters = new Map<Waiter<S>, Joined>();
  /** Set when the loop stops for good (the last waiter left, or `close()`). */
  #stopped = false;
  /**
   * The controller of the poll or sleep in flight (there is at most one), valid while one
   * is: stopping the loop aborts it. No signal is made for the loop's lifetime itself,
   * so a loop that stops with nothing in flight (a held wait that came back done) costs no
   * abort.
   */
  #current: AbortController | undefined;
  #polls = 0;
  #started = false;
  /** Clock time of the last successful poll (the loop's start before any). */
  #okAt: number;
  /** Failed polls in a row, and the last one's error (valid while `#failures > 0`). */
  #failures = 0;
  #lastError: unknown;
  /** While the loop sleeps: the Clock time it plans to wake, how to make it plan again, and how to end it now. */
  #sleeping: { readonly wakeAt: number; readonly replan: () => void; readonly wake: () => void } | undefined;
  /**
   * While a poll is in flight: the Clock time its budget ends, whether it was paced for
   * updates, and how to cancel it for a new one.
   */
  #inFlight: { readonly endsAt: number; readonly paced: boolean; readonly replan: () => void } | undefined;
  #latest: S | undefined;

  /** `onIdle` runs once, when the loop stops for good (no waiters left, or done, or failed). */
  constructor(source: PollSource<S>, clock: Clock, backoff: BackoffOptions, onIdle: () => void) {
    this.#source = source;
    this.#clock = clock;
    this.#backoffOptions = backoff;
    this.#onIdle = onIdle;
    this.#okAt = clock.now();
  }

  /** True once the loop stopped; a stopped loop takes no waiters. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Adds a waiter (starting the loop with the first one). Returns the function that removes it. */
  join(waiter: Waiter<S>): () => void {
    if (this.stopped) throw new Error('PollLoop: join after stop');
    const now = this.#clock.now();
    this.#waiters.set(waiter, { polls: this.#polls, at: now });
    if (!this.#started) {
      this.#started = true;
      void this.#run();
    }
    // A waiter whose deadline comes before the planned wake-up, or before the end of a poll
    // that may hold (WaitOperation), must get its final poll at its deadline.
    const remaining = waiter.deadline.remainingMs();
    if (this.#sleeping !== undefined && remaining < this.#sleeping.wakeAt - now) this.#sleeping.replan();
    // Likewise a waiter that wants updates, joining while an unpaced poll may hold until done.
    const inFlight = this.#inFlight;
    if (
      inFlight !== undefined &&
      (remaining < inFlight.endsAt - now || (waiter.wantsUpdates && !inFlight.paced))
    ) {
      inFlight.replan();
    }
    return () => this.#leave(waiter);
  }

  /**
   * A snapshot that came without a poll of this loop (a listing of list reaping, rule 13):
   * handed to the waiters as a poll's would be, counted as a success (the failure budget
   * starts over), leaving the schedule as it is. Ignored once stopped and while a poll is
   * in flight (its answer is newer). A done snapshot ends the loop.
   */
  offer(snapshot: S): void {
    if (this.#stopped || this.#inFlight !== undefined) return;
    this.#latest = snapshot;
    this.#failures = 0;
    this.#lastError = undefined;
    this.#okAt = this.#clock.now();
    for (const w of [...this.#waiters.keys()]) {
      if (w.deliver(snapshot)) this.#waiters.delete(w);
    }
    if (this.#source.isDone(snapshot) || this.#waiters.size === 0) {
      this.#waiters.clear();
      this.#end();
    }
  }

  /** Ends the loop's sleep now, so it polls at once (a listing found its operation missing). No-op unless it sleeps. */
  wake(): void {
    this.#sleeping?.wake();
  }

  /** Fails every waiter with `error` and stops the loop (cancelling its poll or sleep). */
  close(error: unknown): void {
    const waiters = [...this.#waiters.keys()];
    this.#waiters.clear();
    for (const w of waiters) w.fail(error);
    this.#end();
  }

  #leave(waiter: Waiter<S>): void {
    if (this.#waiters.delete(waiter) && this.#waiters.size === 0) this.#end();
  }

  #end(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#current?.abort(STOPPED);
    this.#source.stopped?.();
    this.#onIdle();
  }

  /** The time left before the earliest waiter's deadline (Infinity when none has one). */
  #budgetMs(): number {
    let budget = Number.POSITIVE_INFINITY;
    for (const w of this.#waiters.keys()) budget = Math.min(budget, w.deadline.remainingMs());
    return budget;
  }

  /**
   * The longest the loop may sleep now: until the earliest deadline, and while polls are
   * failing, until the earliest failure budget runs out (so that waiter's last poll is
   * made when its budget ends).
   */
  #limitMs(): number {
    let limit = this.#budgetMs();
    if (this.#failures === 0) return limit;
    const now = this.#clock.now();
    for (const [w, joined] of this.#waiters) {
      limit = Math.min(limit, Math.max(0, Math.max(joined.at, this.#okAt) + w.failureBudgetMs - now));
    }
    return limit;
  }

  /**
   * The delay before the next poll: the one place the schedule is decided. `pace` is the
   * backoff delay already drawn for a paced poll this round (reused, so a round draws at
   * most one), `result` what the poll returned: a server's retry delay lengthens the
   * backoff delay, up to `maxDelayMs`. The source may plan it sooner (ETA guidance), never sooner than a
   * server's retry delay. Never past the earliest deadline or failure budget.
   */
  #plan(pace: number | undefined, result: PollResult<S>): number {
    let drawn = pace;
    const backoff = (): number => {
      drawn ??= this.#nextDelay();
      return drawn;
    };
    // Rule 11: the source may plan the poll sooner than the schedule (planDelay, eta.ts).
    const planned = this.#source.planDelay?.(backoff) ?? backoff();
    // Rule 5: a delay the server asks for is honoured up to maxDelayMs, never longer.
    const delay = Math.max(planned, Math.min(result.retryAfterMs ?? 0, this.#backoffOptions.maxDelayMs));
    return Math.min(delay, this.#limitMs());
  }

  /** The next backoff delay (see Backoff). */
  #nextDelay(): number {
    this.#backoff ??= new Backoff(this.#backoffOptions);
    return this.#backoff.next();
  }

  /** True when some waiter wants every changed snapshot (progress), so polls are paced. */
  #wantsUpdates(): boolean {
    for (const w of this.#waiters.keys()) if (w.wantsUpdates) return true;
    return false;
  }

  async #run(): Promise<void> {
    try {
      while (!this.#stopped) {
        let result: PollResult<S>;
        const pace = this.#wantsUpdates() ? this.#nextDelay() : undefined;
        const poll = new AbortController();
        this.#current = poll;
        const budget = this.#budgetMs();
        this.#inFlight = {
          endsAt: this.#clock.now() + budget,
          paced: pace !== undefined,
          replan: () => poll.abort(REPLAN),
        };
        const traced = tracePoll(this.#waiters);
        try {
          result = await (traced === undefined
            ? this.#source.poll(budget, poll.signal, pace)
            : traced.run(() => this.#source.poll(budget, poll.signal, pace)));
        } catch (error) {
          if (this.#stopped) return;
          if (poll.signal.reason === REPLAN) continue; // not counted: poll again with the new budget
          this.#polls++;
          traced?.polled('error');
          for (const w of [...this.#waiters.keys()]) w.fail(error);
          return;
        } finally {
          this.#inFlight = undefined;
          this.#current = undefined;
        }
        if (this.#stopped) return;
        this.#polls++;
        traced?.polled(
          pollResultKind(result.snapshot === undefined ? undefined : this.#source.isDone(result.snapshot)),
        );
        this.#record(result);
        if (result.snapshot !== undefined) {
          const { snapshot } = result;
          this.#latest = snapshot;
          for (const w of [...this.#waiters.keys()]) {
            if (w.deliver(snapshot)) this.#waiters.delete(w);
          }
          if (this.#source.isDone(snapshot)) return;
        }
        this.#timeOutExpired();
        if (this.#waiters.size === 0) return;
        if (!result.backOff) continue;
        const delay = this.#plan(pace, result);
        if (result.error !== undefined) this.#reportRetry(result.error, delay);
        if (this.#waiters.size === 0) return;
        await this.#sleep(delay);
      }
    } catch (error) {
      // Only a sleep aborted by the loop's stop lands here; anything else is a bug to surface.
      if (!this.#stopped) for (const w of [...this.#waiters.keys()]) w.fail(error);
    } finally {
      this.#waiters.clear();
      this.#end();
    }
  }

  /** Counts a poll's success or failure, failing the waiters whose failure budget it spent. */
  #record(result: PollResult<S>): void {
    if (result.error === undefined) {
      if (result.snapshot !== undefined) {
        this.#failures = 0;
        this.#lastError = undefined;
        this.#okAt = this.#clock.now();
      }
      return;
    }
    this.#failures++;
    this.#lastError = result.error;
    const now = this.#clock.now();
    for (const [w, joined] of [...this.#waiters]) {
      if (now - Math.max(joined.at, this.#okAt) >= w.failureBudgetMs) {
        this.#waiters.delete(w);
        w.fail(result.error);
      }
    }
  }

  #timeOutExpired(): void {
    const lastError = this.#failures > 0 ? this.#lastError : undefined;
    // Deleting the entry being visited is safe while iterating a Map; a timed-out waiter's
    // rejection reaches its caller later (a promise reaction), so nothing joins meanwhile.
    for (const [w, joined] of this.#waiters) {
      if (w.deadline.expired()) {
        this.#waiters.delete(w);
        w.timeOut(this.#polls - joined.polls, this.#latest, lastError);
      }
    }
  }

  #reportRetry(error: unknown, delay: number): void {
    this.#source.retrying?.(error, this.#failures, delay);
    for (const w of [...this.#waiters.keys()]) {
      if (w.retrying(error, this.#failures, delay)) this.#waiters.delete(w);
    }
  }

  /**
   * Sleeps `ms`, or until the earliest limit if a waiter with an earlier one joins
   * meanwhile. Ends early when the loop stops (rejects) or the source wakes it.
   */
  async #sleep(ms: number): Promise<void> {
    const wakeAt = this.#clock.now() + ms;
    // The first stretch is exactly `ms` (recomputing it from wakeAt would add float error).
    let wait = ms;
    while (await this.#sleepOnce(wait, this.#clock.now() + wait)) {
      wait = Math.max(0, Math.min(wakeAt - this.#clock.now(), this.#limitMs()));
    }
  }

  /**
   * One uninterrupted stretch of a sleep. Resolves true when a joining waiter asked to plan
   * again. Races nothing: replan and wake-up abort the clock's sleep, so a long wait
   * attaches no reaction to any promise that outlives the stretch.
   */
  async #sleepOnce(ms: number, wakeAt: number): Promise<boolean> {
    const local = new AbortController();
    this.#current = local;
    // A loop stopped meanwhile (by a waiter's callback) must not sleep out the delay.
    if (this.#stopped) local.abort(STOPPED);
    this.#sleeping = { wakeAt, replan: () => local.abort(REPLAN), wake: () => local.abort(WOKEN) };
    this.#source.wakeUp?.(local.signal)?.then(() => local.abort(WOKEN));
    try {
      await this.#clock.sleep(ms, local.signal);
      return false;
    } catch (error) {
      if (local.signal.reason === REPLAN) return true;
      if (local.signal.reason === WOKEN) return false;
      throw error;
    } finally {
      this.#sleeping = undefined;
      this.#current = undefined;
      local.abort(STOPPED);
    }
  }
}
