/**
 * One poll budget per client (polling rule 12): a token bucket that every RPC the client's
 * waits make draws from (GetOperation polls, WaitOperation calls, the ListOperations of
 * list reaping), so that many waits together stay within the API's read quota instead of
 * each backing off alone and knocking on it.
 *
 * - `perSecond: n` is a hard cap of n calls a second (bursts of `burst`, default n).
 *   `'auto'` (the default) starts unlimited and adapts to quota refusals (adaptive-rate.ts).
 * - When tokens are short, the call whose poll was planned earliest goes first, so every
 *   wait's schedule slips evenly and none starves.
 * - A delay the server asks for on any call (RetryInfo, Retry-After) pauses every waiting
 *   call until then, capped at `maxPauseMs` (the polling `maxDelayMs`).
 * - Calls the user makes directly are never delayed, but count (`spend`): they take a
 *   token, and may leave the bucket up to one burst in debt.
 *
 * Time comes from the injected Clock; the budget holds a timer only while a call waits,
 * so it never keeps a process alive on its own.
 */
import type { Clock } from '../base/clock.js';
import { abortReason } from '../base/signals.js';
import { AdaptiveRate } from './adaptive-rate.js';
import { PlanQueue } from './plan-queue.js';

/** The `pollBudget` client option. */
export interface PollBudgetOptions {
  /**
   * Calls a second the client's waits may make: a number is a hard cap (for a user who
   * knows the quota); `'auto'` (default) starts unlimited and adapts to RESOURCE_EXHAUSTED
   * answers (AIMD), so several processes sharing one quota converge.
   */
  perSecond?: number | 'auto';
  /** Calls that may go at once after a quiet spell (default one second's worth, at least 1). */
  burst?: number;
}

/** The default poll budget: adaptive. */
export const DEFAULT_POLL_BUDGET: Readonly<PollBudgetOptions> = Object.freeze({ perSecond: 'auto' });

/** Throws TypeError / RangeError naming the field when `options` is not a valid poll budget. */
export function checkPollBudget(options: unknown): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('pollBudget must be an object { perSecond?, burst? }');
  }
  const { perSecond, burst } = options as Record<string, unknown>;
  if (
    perSecond !== undefined &&
    perSecond !== 'auto' &&
    !(typeof perSecond === 'number' && Number.isFinite(perSecond) && perSecond > 0)
  ) {
    throw new RangeError(
      `pollBudget.perSecond must be 'auto' or a finite number > 0 (got ${JSON.stringify(perSecond) ?? String(perSecond)})`,
    );
  }
  if (burst !== undefined && !(typeof burst === 'number' && Number.isFinite(burst) && burst >= 1)) {
    throw new RangeError(`pollBudget.burst must be a finite number >= 1 (got ${String(burst)})`);
  }
}

/** A client's poll budget. */
export class PollBudget {
  readonly #clock: Clock;
  /** The hard cap, or undefined for 'auto'. */
  readonly #fixedRate: number | undefined;
  readonly #adaptive = new AdaptiveRate();
  readonly #burstOption: number | undefined;
  readonly #maxPauseMs: number;
  /** Tokens in the bucket (may be negative: debt from direct calls); valid as of `#refilledAt`. */
  #tokens: number;
  #refilledAt: number;
  /** Clock time before which no waiting call is granted (a server-requested pause). */
  #pausedUntil = Number.NEGATIVE_INFINITY;
  /** Calls waiting, earliest plan first. */
  readonly #queue = new PlanQueue();
  /** The timer that grants the next call, while one is set: its due time and how to clear it. */
  #timer: { readonly at: number; readonly cancel: AbortController } | undefined;

  /** Throws like `checkPollBudget`. `maxPauseMs` caps a server-requested pause. */
  constructor(clock: Clock, options: PollBudgetOptions = DEFAULT_POLL_BUDGET, maxPauseMs = 60_000) {
    checkPollBudget(options);
    this.#clock = clock;
    this.#fixedRate = typeof options.perSecond === 'number' ? options.perSecond : undefined;
    this.#burstOption = options.burst;
    this.#maxPauseMs = maxPauseMs;
    this.#tokens = this.#burst();
    this.#refilledAt = clock.now();
  }

  /** Calls a second now (Infinity: not limited). */
  get rate(): number {
    return this.#fixedRate ?? this.#adaptive.rate;
  }

  /** Calls waiting for a token now. */
  get waiting(): number {
    return this.#queue.waiting;
  }

  /** Clock time until which waiting calls are paused (-Infinity: not paused). */
  get pausedUntil(): number {
    return this.#pausedUntil;
  }

  /**
   * Takes a token for a call the client's waits make, planned at `plannedAt` (Clock ms):
   * undefined when it may go now (a token is there; the call itself then sees an aborted
   * signal), else a promise that resolves when it may (calls planned earlier first), or
   * rejects with the signal's reason when `signal` aborts first (its place is then given
   * up). `maxWaitMs` bounds the wait: past it the call goes anyway, taking a token on
   * credit (a wait's final poll at its deadline is never held back).
   */
  take(
    plannedAt: number,
    signal?: AbortSignal,
    maxWaitMs = Number.POSITIVE_INFINITY,
  ): Promise<void> | undefined {
    const now = this.#clock.now();
    if (this.#queue.empty && now >= this.#pausedUntil && this.#tryToken(now)) return undefined;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (!(maxWaitMs > 0)) {
      this.spend();
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      let deadline: AbortController | undefined;
      const entry = this.#queue.push(plannedAt, () => {
        signal?.removeEventListener('abort', onAbort);
        deadline?.abort();
        resolve();
      });
      const onAbort = (): void => {
        if (entry.settled) return;
        entry.settled = true;
        deadline?.abort();
        // A signal that aborts here was given (the listener exists only then).
        if (signal !== undefined) reject(abortReason(signal));
        this.#pump();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (Number.isFinite(maxWaitMs)) {
        deadline = new AbortController();
        this.#clock.sleep(maxWaitMs, deadline.signal).then(
          () => {
            if (entry.settled) return;
            this.spend();
            entry.grant();
            this.#pump();
          },
          () => {}, // granted or abandoned first: the timer was cleared.
        );
      }
      this.#pump();
    });
  }

  /** A call the user made directly: never delayed, but takes a token (the bucket may go up to one burst into debt). */
  spend(): void {
    const rate = this.rate;
    if (!Number.isFinite(rate)) return;
    const now = this.#clock.now();
    this.#refill(now);
    this.#tokens = Math.max(this.#tokens - 1, -this.#burst());
  }

  /**
   * A call sent at `sentAt` was answered, and not with a quota refusal: evidence of what the
   * quota lets through, and (while calls wait for tokens) room to raise an adaptive rate.
   */
  succeeded(sentAt: number): void {
    if (this.#fixedRate !== undefined) return;
    const now = this.#clock.now();
    this.#refill(now);
    this.#adaptive.succeeded(sentAt, now, !this.#queue.empty || this.#tokens < 1);
  }

  /**
   * A call sent at `sentAt` was refused for quota (RESOURCE_EXHAUSTED, HTTP 429): an
   * adaptive rate goes down (see adaptive-rate.ts) and the bucket is emptied, since the
   * server says the quota is spent. `retryAfterMs`, when the server named a delay, pauses
   * every waiting call (see `pause`).
   */
  exhausted(sentAt: number, retryAfterMs: number | undefined): void {
    const now = this.#clock.now();
    if (this.#fixedRate === undefined && this.#adaptive.refused(sentAt, now)) {
      this.#refilledAt = now;
      this.#tokens = Math.min(this.#tokens, 0);
    }
    if (retryAfterMs !== undefined) this.pause(retryAfterMs);
    else this.#pump();
  }

  /** The server asked for `ms` of quiet (RetryInfo, Retry-After): no waiting call is granted before then (capped at `maxPauseMs`). */
  pause(ms: number): void {
    const capped = Math.min(Number.isNaN(ms) ? 0 : Math.max(0, ms), this.#maxPauseMs);
    this.#pausedUntil = Math.max(this.#pausedUntil, this.#clock.now() + capped);
    this.#pump();
  }

  /** Bursts allowed: the option, else one second's worth of the current rate, at least 1. */
  #burst(): number {
    if (this.#burstOption !== undefined) return this.#burstOption;
    const rate = this.rate;
    return Number.isFinite(rate) ? Math.max(1, rate) : 1;
  }

  #refill(now: number): void {
    const rate = this.rate;
    if (Number.isFinite(rate) && now > this.#refilledAt) {
      this.#tokens = Math.min(this.#burst(), this.#tokens + ((now - this.#refilledAt) * rate) / 1000);
    }
    this.#refilledAt = now;
  }

  /** Takes a token if one is there at `now`. */
  #tryToken(now: number): boolean {
    if (!Number.isFinite(this.rate)) return true;
    this.#refill(now);
    // Less a hair of float error, so a token refilled to the millisecond counts.
    if (this.#tokens < 1 - 1e-9) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Grants waiting calls while tokens last, then sets the timer for the next one (or clears it). */
  #pump(): void {
    const now = this.#clock.now();
    let head = this.#queue.peek();
    while (head !== undefined && now >= this.#pausedUntil && this.#tryToken(now)) {
      this.#queue.pop();
      head.grant();
      head = this.#queue.peek();
    }
    if (head === undefined) {
      this.#clearTimer();
      return;
    }
    const rate = this.rate;
    // Whole milliseconds, at least one: a token is there when the timer fires.
    const refillAt = Number.isFinite(rate)
      ? now + Math.max(1, Math.ceil(((1 - this.#tokens) * 1000) / rate))
      : now;
    this.#arm(Math.max(this.#pausedUntil, refillAt));
  }

  /** Sets the one timer to fire at `at`, unless it is set for that time already. */
  #arm(at: number): void {
    if (this.#timer !== undefined && this.#timer.at === at) return;
    this.#clearTimer();
    const cancel = new AbortController();
    this.#timer = { at, cancel };
    this.#clock.sleep(at - this.#clock.now(), cancel.signal).then(
      () => {
        if (this.#timer?.cancel !== cancel) return;
        this.#timer = undefined;
        this.#pump();
      },
      () => {}, // cleared: a newer timer or none replaces it.
    );
  }

  #clearTimer(): void {
    this.#timer?.cancel.abort();
    this.#timer = undefined;
  }
}
