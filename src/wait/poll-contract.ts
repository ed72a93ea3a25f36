/**
 * What a poll loop (poll-loop.ts) asks of its source, and what it tells its waiters. The
 * loop knows nothing of protobuf: `S` is whatever a poll returns (a raw Operation for the
 * LRO poller, operation-poller.ts).
 */
import type { Deadline } from '../base/deadline.js';
import type { WaitTrace } from './tracing.js';

/** What one poll returned. */
export interface PollResult<S> {
  /** The snapshot; absent when the poll failed (then `error` says why) or only switched RPCs. */
  readonly snapshot?: S;
  /** True when the loop should back off before the next poll. */
  readonly backOff: boolean;
  /** A failure polling survives (a retryable RpcError), when this poll failed. */
  readonly error?: unknown;
  /** The least delay before the next poll the server asked for with the failure (RetryInfo, Retry-After), in ms. */
  readonly retryAfterMs?: number;
}

/** The operation-specific side of a loop. */
export interface PollSource<S> {
  /**
   * One poll. `budgetMs` is the time left before the earliest waiter's deadline (Infinity
   * if none). `paceMs`, set when a waiter wants every update, is the backoff delay of this
   * round: a poll that can hold (WaitOperation) should hold no longer, so updates arrive on
   * the backoff cadence. Resolves with the result; rejects to fail every waiter with that
   * error. Retryable failures resolve `{ backOff: true, error }` instead of rejecting.
   */
  poll(budgetMs: number, signal: AbortSignal, paceMs: number | undefined): Promise<PollResult<S>>;
  /** True when the snapshot is final; the loop ends after delivering it. */
  isDone(snapshot: S): boolean;
  /**
   * Called at the start of each sleep: a promise that resolves when the sleep should end
   * early (e.g. a WaitOperation slot freed up), or undefined when nothing can end it.
   * `signal` aborts when the sleep ends anyway. Optional.
   */
  wakeUp?(signal: AbortSignal): Promise<void> | undefined;
  /**
   * The delay of the sleep after a poll (polling rule 11: a source may plan it sooner than
   * the schedule, from the progress it saw). `backoff` returns this round's backoff delay,
   * drawing it from the schedule on first use. Optional; absent, the sleep is `backoff()`.
   */
  planDelay?(backoff: () => number): number;
  /** Called once, when the loop stops for good (to leave what the source joined). Optional. */
  stopped?(): void;
  /** Called once per failed poll the loop survives, before its waiters hear of it (e.g. to log it). Optional. */
  retrying?(error: unknown, attempt: number, nextDelayMs: number): void;
}

/** One caller waiting on the loop. Each callback is called at most until one of them finishes the waiter. */
export interface Waiter<S> {
  /** The wait's span (tracing.ts), when traced: each poll is recorded on it and runs with it active. */
  readonly trace?: WaitTrace | undefined;
  /** When the waiter times out (a Deadline without a timeout never does). */
  readonly deadline: Deadline;
  /** True when the waiter wants intermediate snapshots (progress), not only the final one. */
  readonly wantsUpdates: boolean;
  /** How long polls may fail in a row (since the last success, or since joining) before the waiter fails. */
  readonly failureBudgetMs: number;
  /** A new snapshot. Returns true when the waiter is finished (it then leaves). */
  deliver(snapshot: S): boolean;
  /**
   * A poll failed with `error` and polling goes on: `attempt` failed polls in a row, the
   * next in `nextDelayMs`. Returns true when the waiter is finished (it then leaves).
   */
  retrying(error: unknown, attempt: number, nextDelayMs: number): boolean;
  /** The waiter fails: a poll's non-retryable error, or the last error once the failure budget is spent. */
  fail(error: unknown): void;
  /**
   * The deadline passed: `polls` made since the waiter joined, the latest snapshot of the
   * loop, and the error of the last poll when it failed.
   */
  timeOut(polls: number, latest: S | undefined, lastError: unknown): void;
}
