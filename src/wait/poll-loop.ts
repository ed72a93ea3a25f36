/**
 * A polling loop shared by every waiter of one key (an operation name, per client), that
 * knows nothing of protobuf: it asks its source for a snapshot, hands it to each waiter,
 * times out waiters whose deadline has passed, and sleeps a backoff delay clamped to the
 * earliest deadline. It runs while it has waiters and stops (cancelling the poll or the
 * sleep in flight) when the last one leaves.
 */
import { Backoff, type BackoffOptions } from './backoff.js';
import type { Clock } from './clock.js';
import type { Deadline } from './deadline.js';

/**
 * The reason the loop aborts its own poll or sleep with. Never seen by callers (the loop
 * only stops once no waiter is left); shared, so finishing a wait allocates no error.
 */
const STOPPED = new Error('poll loop stopped');

/** The reason a poll in flight is cancelled with when a joining waiter needs it bounded sooner. */
const REPLAN = new Error('poll replaced by one that suits a joining waiter');

/** What one poll returned: a snapshot (absent after a retryable failure) and whether to back off before the next. */
export interface PollResult<S> {
  readonly snapshot?: S;
  readonly backOff: boolean;
}

/** The operation-specific side of a loop. */
export interface PollSource<S> {
  /**
   * One poll. `budgetMs` is the time left before the earliest waiter's deadline (Infinity
   * if none). `paceMs`, set when a waiter wants every update, is the backoff delay of this
   * round: a poll that can hold (WaitOperation) should hold no longer, so updates arrive on
   * the backoff cadence. Resolves with the result; rejects to fail every waiter with that
   * error. Retryable failures should resolve `{ backOff: true }` instead of rejecting.
   */
  poll(budgetMs: number, signal: AbortSignal, paceMs: number | undefined): Promise<PollResult<S>>;
  /** True when the snapshot is final; the loop ends after delivering it. */
  isDone(snapshot: S): boolean;
  /** Resolves when a sleep should end early (e.g. a WaitOperation slot freed up). Optional. */
  wakeUp?(signal: AbortSignal): Promise<void>;
  /**
   * The delay of the sleep after a poll (polling rule 11: a source may plan it sooner than
   * the schedule, from the progress it saw). `backoff` returns this round's backoff delay,
   * drawing it from the schedule on first use. Optional; absent, the sleep is `backoff()`.
   */
  planDelay?(backoff: () => number): number;
}

/** One caller waiting on the loop. Each callback is called at most until one of them finishes the waiter. */
export interface Waiter<S> {
  /** When the waiter times out (a Deadline without a timeout never does). */
  readonly deadline: Deadline;
  /** True when the waiter wants intermediate snapshots (progress), not only the final one. */
  readonly wantsUpdates: boolean;
  /** A new snapshot. Returns true when the waiter is finished (it then leaves). */
  deliver(snapshot: S): boolean;
  /** Every waiter fails with a poll's non-retryable error. */
  fail(error: unknown): void;
  /** The deadline passed: `polls` made since the waiter joined, and the latest snapshot of the loop. */
  timeOut(polls: number, latest: S | undefined): void;
}

/** One loop, run while it has waiters. */
export class SharedPoll<S> {
  readonly #source: PollSource<S>;
  readonly #clock: Clock;
  readonly #backoff: Backoff;
  readonly #onIdle: () => void;
  /** Each waiter with the poll count at the time it joined. */
  readonly #waiters = new Map<Waiter<S>, number>();
  /** Aborted when the last waiter leaves; cancels the poll or sleep in flight. */
  readonly #stop = new AbortController();
  #polls = 0;
  #started = false;
  /** While the loop sleeps: the Clock time it plans to wake, and how to make it plan again. */
  #sleeping: { readonly wakeAt: number; readonly replan: () => void } | undefined;
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
    this.#backoff = new Backoff(backoff);
    this.#onIdle = onIdle;
  }

  /** True once the loop stopped; a stopped loop takes no waiters. */
  get stopped(): boolean {
    return this.#stop.signal.aborted;
  }

  /** Adds a waiter (starting the loop with the first one). Returns the function that removes it. */
  join(waiter: Waiter<S>): () => void {
    if (this.stopped) throw new Error('SharedPoll: join after stop');
    this.#waiters.set(waiter, this.#polls);
    if (!this.#started) {
      this.#started = true;
      void this.#run();
    }
    // A waiter whose deadline comes before the planned wake-up, or before the end of a poll
    // that may hold (WaitOperation), must get its final poll at its deadline.
    const remaining = waiter.deadline.remainingMs();
    const now = this.#clock.now();
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
    if (this.stopped) return;
    this.#stop.abort(STOPPED);
    this.#onIdle();
  }

  /** The time left before the earliest waiter's deadline (Infinity when none has one). */
  #budgetMs(): number {
    let budget = Number.POSITIVE_INFINITY;
    for (const w of this.#waiters.keys()) budget = Math.min(budget, w.deadline.remainingMs());
    return budget;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    try {
      while (!signal.aborted) {
        let result: PollResult<S>;
        // At most one backoff delay per round: the pace of a holding poll, reused as the sleep.
        let delay = [...this.#waiters.keys()].some((w) => w.wantsUpdates) ? this.#backoff.next() : undefined;
        const poll = new AbortController();
        const onStop = (): void => poll.abort(signal.reason);
        signal.addEventListener('abort', onStop, { once: true });
        const budget = this.#budgetMs();
        this.#inFlight = {
          endsAt: this.#clock.now() + budget,
          paced: delay !== undefined,
          replan: () => poll.abort(REPLAN),
        };
        try {
          result = await this.#source.poll(budget, poll.signal, delay);
        } catch (error) {
          if (signal.aborted) return;
          if (poll.signal.reason === REPLAN) continue; // not counted: poll again with the new budget
          this.#polls++;
          for (const w of [...this.#waiters.keys()]) w.fail(error);
          return;
        } finally {
          this.#inFlight = undefined;
          signal.removeEventListener('abort', onStop);
        }
        if (signal.aborted) return;
        this.#polls++;
        const { snapshot } = result;
        if (snapshot !== undefined) {
          this.#latest = snapshot;
          for (const w of [...this.#waiters.keys()]) {
            if (w.deliver(snapshot)) this.#waiters.delete(w);
          }
          if (this.#source.isDone(snapshot)) return;
        }
        for (const [w, joinedAt] of [...this.#waiters]) {
          if (w.deadline.expired()) {
            this.#waiters.delete(w);
            w.timeOut(this.#polls - joinedAt, this.#latest);
          }
        }
        if (this.#waiters.size === 0) return;
        if (result.backOff) {
          const backoff = (): number => {
            delay ??= this.#backoff.next();
            return delay;
          };
          const planned = this.#source.planDelay?.(backoff) ?? backoff();
          await this.#sleep(Math.min(planned, this.#budgetMs()));
        }
      }
    } catch (error) {
      // Only a sleep aborted by the stop signal lands here; anything else is a bug to surface.
      if (!signal.aborted) for (const w of [...this.#waiters.keys()]) w.fail(error);
    } finally {
      this.#waiters.clear();
      this.#end();
    }
  }

  /**
   * Sleeps `ms`, or until the earliest waiter's deadline if a waiter with an earlier one
   * joins meanwhile. Ends early when the loop stops (rejects) or the source wakes it.
   */
  async #sleep(ms: number): Promise<void> {
    const wakeAt = this.#clock.now() + ms;
    // The first stretch is exactly `ms` (recomputing it from wakeAt would add float error).
    let wait = ms;
    while (await this.#sleepOnce(wait, this.#clock.now() + wait)) {
      wait = Math.max(0, Math.min(wakeAt - this.#clock.now(), this.#budgetMs()));
    }
  }

  /** One uninterrupted stretch of a sleep. Resolves true when a joining waiter asked to plan again. */
  async #sleepOnce(ms: number, wakeAt: number): Promise<boolean> {
    const local = new AbortController();
    const onStop = (): void => local.abort(this.#stop.signal.reason);
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    const replan = new Promise<boolean>((resolve) => {
      this.#sleeping = { wakeAt, replan: () => resolve(true) };
    });
    const { wakeUp } = this.#source;
    try {
      return await Promise.race([
        this.#clock.sleep(ms, local.signal).then(() => false),
        ...(wakeUp === undefined ? [] : [wakeUp.call(this.#source, local.signal).then(() => false)]),
        replan,
      ]);
    } finally {
      this.#sleeping = undefined;
      this.#stop.signal.removeEventListener('abort', onStop);
      local.abort(STOPPED);
    }
  }
}

/** The loops of one client, one per key: waiters of the same key share a loop. */
export class PollHub<S> {
  readonly #loops = new Map<string, SharedPoll<S>>();
  /** Set by `close()`: what every later join throws. */
  #closed: { readonly error: unknown } | undefined;

  /**
   * Joins the running loop of `key`, or starts one with `create()`. Returns the leave
   * function. Throws the `close()` error once the hub is closed.
   */
  join(key: string, waiter: Waiter<S>, create: (onIdle: () => void) => SharedPoll<S>): () => void {
    if (this.#closed !== undefined) throw this.#closed.error;
    let loop = this.#loops.get(key);
    if (loop === undefined || loop.stopped) {
      const fresh = create(() => {
        if (this.#loops.get(key) === fresh) this.#loops.delete(key);
      });
      loop = fresh;
      this.#loops.set(key, fresh);
    }
    return loop.join(waiter);
  }

  /** How many loops are running. */
  get size(): number {
    return this.#loops.size;
  }

  /** Throws the `close()` error once the hub is closed. */
  assertOpen(): void {
    if (this.#closed !== undefined) throw this.#closed.error;
  }

  /** Ends every loop, failing its waiters with `error`; later joins throw it. Idempotent. */
  close(error: unknown): void {
    if (this.#closed !== undefined) return;
    this.#closed = { error };
    for (const loop of [...this.#loops.values()]) loop.close(error);
    this.#loops.clear();
  }
}
