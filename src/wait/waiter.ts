/**
 * One wait on an operation, as a waiter of its client's shared poll loop: the wait options
 * are checked, the loop for the name is joined (or started), each snapshot is handed back
 * through the caller's callback, and the waiter leaves on done, failure, timeout or abort,
 * removing its listener. The caller (the handle, `operation.ts`) keeps the snapshot; this
 * file keeps the waiting.
 */

import { type PollingOptions, type ResolvedPollingOptions, resolvePolling } from '../base/backoff.js';
import type { Clock } from '../base/clock.js';
import { Deadline } from '../base/deadline.js';
import { abortReason } from '../base/signals.js';
import { checkOptionalMs, checkRetry, checkSignal } from '../base/validate.js';
import { answeredByServer, neverReachedError } from '../transport/no-answer.js';
import type { CallOptions, OperationsTransport } from '../transport/operations-transport.js';
import { RpcError, TimeoutError } from '../wire/errors.js';
import type { Any, RawOperation } from '../wire/types.js';
import type { ListReaper } from './list-reaper.js';
import type { MeteredTransport } from './metered-transport.js';
import { type LoopControl, operationPoller, STRATEGIES, type WaitStrategy } from './operation-poller.js';
import type { Waiter } from './poll-contract.js';
import { PollLoop } from './poll-loop.js';
import type { PollLoops } from './poll-loops.js';
import { startWaitTrace, type WaitOutcome } from './tracing.js';
import type { WaitSupport } from './wait-support.js';

/** What a wait needs from its client (`ClientState` in client/client-state.ts). */
export interface WaiterContext {
  /** For calls a wait makes on the caller's behalf (a cancel on abort): never delayed. */
  readonly transport: OperationsTransport;
  /** For polls: each call after a token of the client's poll budget (rule 12). */
  readonly polls: MeteredTransport;
  /** The client's list reaper (rule 13), absent with `listPolling: false`. */
  readonly reaper?: ListReaper | undefined;
  /** True once any RPC of the client was answered by its server (rule 14). */
  readonly reached: boolean;
  readonly clock: Clock;
  /** The client's polling defaults; a wait's own `polling` fills over them. */
  readonly polling: ResolvedPollingOptions;
  readonly support: WaitSupport;
  readonly loops: PollLoops<RawOperation>;
  /** The client's per-RPC defaults (headers, retry, timeout), used by every poll. */
  readonly callDefaults: CallOptions;
  /** Where failures nobody awaits (a cancel sent on abort) and retried polls are logged. */
  readonly debug: (message: string) => void;
  /** Throws the client's close error once it is closed. */
  assertOpen(): void;
}

/** The options of a wait that do not depend on the handle's types (`WaitOptions` adds `onProgress`). */
export interface BaseWaitOptions extends Omit<CallOptions, 'timeoutMs'> {
  /** Total time to wait, in ms; default none (until done or aborted), as is any past `MAX_DEADLINE_MS`. On expiry: TimeoutError; the server operation goes on. */
  timeoutMs?: number;
  /** This wait's schedule (delays, jitter, WaitOperation chunk, failure budget); unset fields keep the client's defaults. */
  polling?: PollingOptions;
  /** Default 'auto': WaitOperation where the server has it, GetOperation with backoff where not. */
  strategy?: WaitStrategy;
  /** When the signal aborts, also send CancelOperation (default false: stop waiting only). */
  cancelOnAbort?: boolean;
  /**
   * Called when a poll failed with a retryable error and polling goes on: the error, the
   * number of failed polls in a row, and the delay before the next poll. A throw rejects
   * the wait, as does a returned promise that rejects. Polls that keep failing for
   * `polling.failureBudgetMs` reject it with the error.
   */
  onRetry?: (error: RpcError, attempt: number, nextDelayMs: number) => void;
}

/** Where a wait hands its snapshots. */
export interface SnapshotSink {
  /** True when changed snapshots matter (progress), so that polls are paced to see them. */
  readonly wantsUpdates: boolean;
  /**
   * Each snapshot received, `changed` when its metadata bytes or done flag differ from the
   * last one handed over. Called before the wait settles; a throw rejects the wait, and so
   * does a returned promise that rejects (the wait resolves only once the promises
   * returned so far have settled).
   */
  onSnapshot(raw: RawOperation, changed: boolean): unknown;
  /** The progress (0..100) of the last snapshot handed over, undefined when unknown; guides polling (rule 11). Optional. */
  progress?(): number | undefined;
}

/** True when two Anys have the same type and bytes. */
function sameAny(a: Any | null | undefined, b: Any | null | undefined): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  return a.type_url === b.type_url && Buffer.compare(a.value, b.value) === 0;
}

/** True for a promise or any other thenable (what an async callback returns). */
function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && 'then' in x && typeof x.then === 'function';
}

/** Checks the options a wait acts on. Throws TypeError / RangeError naming the option. */
function checkWaitOptions(options: BaseWaitOptions, base: ResolvedPollingOptions) {
  const timeoutMs = checkOptionalMs(options.timeoutMs, 'timeoutMs');
  // The base is resolved already: a wait without its own polling options reuses it.
  const polling = options.polling === undefined ? base : resolvePolling(options.polling, base);
  const strategy = options.strategy === undefined ? 'auto' : options.strategy;
  if (!STRATEGIES.includes(strategy)) {
    throw new RangeError(
      `strategy must be one of ${STRATEGIES.join(', ')} (got ${JSON.stringify(strategy)})`,
    );
  }
  if (options.onRetry !== undefined && typeof options.onRetry !== 'function') {
    throw new TypeError('onRetry must be a function');
  }
  checkSignal(options.signal, 'signal');
  checkRetry(options.retry, 'retry');
  return { timeoutMs, polling, strategy };
}

/** Traced outcomes, shared so that finishing a wait allocates none. */
const DONE: WaitOutcome = { kind: 'done' };
const TIMED_OUT: WaitOutcome = { kind: 'timeout' };
const ABORTED: WaitOutcome = { kind: 'aborted' };

/** The traced outcome of a done snapshot: failed when it carries a non-OK status. */
function doneOutcome(raw: RawOperation): WaitOutcome {
  const status = raw.error;
  return status != null && status.code !== 0 ? { kind: 'error', error: status } : DONE;
}

/**
 * Waits until the operation of snapshot `initial` is done, handing each snapshot to `sink`.
 * Throws TypeError / RangeError for bad options before any RPC, and the client's close
 * error once it is closed; resolves at once when `initial` is done; rejects with
 * TimeoutError (its `cause` the last poll's error when that failed), the poll's RpcError
 * (non-retryable, or retryable past the failure budget), the signal's reason, or what the
 * sink or `onRetry` threw or their returned promise rejected with.
 */
export function waitUntilDone(
  ctx: WaiterContext,
  initial: RawOperation,
  options: BaseWaitOptions,
  sink: SnapshotSink,
): Promise<void> {
  const { timeoutMs, polling, strategy } = checkWaitOptions(options, ctx.polling);
  const { clock } = ctx;
  // timeoutMs counts from the call: anything done before the first poll (e.g. loading the
  // tracing API on the first wait of a process) is inside it.
  const deadline = Deadline.after(clock, timeoutMs);
  const name = initial.name;
  if (initial.done) {
    startWaitTrace(name, strategy)?.end(doneOutcome(initial));
    return Promise.resolve();
  }
  ctx.assertOpen();
  const { signal, onRetry } = options;
  const trace = startWaitTrace(name, strategy);
  if (signal?.aborted) {
    trace?.end(ABORTED);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<void>((resolve, reject) => {
    let finished = false;
    let leave = (): void => {};
    let last = initial;
    const finish = (settle: () => void, outcome: WaitOutcome): void => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      leave();
      trace?.end(outcome);
      settle();
    };
    /**
     * The promises the caller's callbacks returned, settled or not; they never reject (a
     * rejection has finished the wait already). Undefined while no callback returned one.
     */
    let returned: Promise<void> | undefined;
    /**
     * Runs a caller's callback; a throw finishes the wait with it, and so does the
     * rejection of a promise it returns (handled here, so never an unhandled rejection;
     * one that comes after the wait settled is only logged). Returns true when finished.
     */
    const guard = (call: () => unknown): boolean => {
      try {
        const result = call();
        if (isThenable(result)) {
          const settled = Promise.resolve(result).then(
            () => {},
            (error: unknown) => {
              if (finished)
                ctx.debug(`a callback of the wait on ${name} rejected after it settled: ${error}`);
              finish(() => reject(error), { kind: 'error', error });
            },
          );
          returned = returned === undefined ? settled : Promise.all([returned, settled]).then(() => {});
        }
      } catch (error) {
        finish(() => reject(error), { kind: 'error', error });
      }
      return finished;
    };
    /** Resolves the wait on its done snapshot `raw`, once the callbacks' promises have settled. */
    const resolveDone = (raw: RawOperation): void => {
      if (returned === undefined) finish(resolve, doneOutcome(raw));
      else void returned.then(() => finish(resolve, doneOutcome(raw)));
    };
    const waiter: Waiter<RawOperation> = {
      deadline,
      wantsUpdates: sink.wantsUpdates,
      trace,
      // Rule 14: until the server has answered anything, the shorter connect budget applies.
      get failureBudgetMs() {
        return ctx.reached
          ? polling.failureBudgetMs
          : Math.min(polling.failureBudgetMs, polling.connectBudgetMs);
      },
      deliver: (raw) => {
        if (finished) return true;
        const changed = raw.done !== last.done || !sameAny(raw.metadata, last.metadata);
        if (changed) last = raw;
        if (guard(() => sink.onSnapshot(raw, changed))) return true;
        if (raw.done) resolveDone(raw);
        return raw.done;
      },
      retrying: (error, attempt, nextDelayMs) => {
        if (finished) return true;
        if (onRetry === undefined || !RpcError.is(error)) return false;
        return guard(() => onRetry(error, attempt, nextDelayMs));
      },
      fail: (error) => {
        const failure =
          !ctx.reached && RpcError.is(error) && !answeredByServer(error)
            ? neverReachedError(error, Math.min(polling.failureBudgetMs, polling.connectBudgetMs))
            : error;
        finish(() => reject(failure), { kind: 'error', error: failure });
      },
      timeOut: (polls, latest, lastError) =>
        finish(
          () =>
            reject(new TimeoutError(name, timeoutMs ?? 0, deadline.elapsedMs(), polls, latest, lastError)),
          TIMED_OUT,
        ),
    };
    const onAbort = (): void => {
      finish(() => reject(signal === undefined ? new Error('aborted') : abortReason(signal)), ABORTED);
      if (options.cancelOnAbort === true) {
        ctx.transport.cancel(name, {}).catch((e: unknown) => ctx.debug(`cancel on abort of ${name}: ${e}`));
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    // The transport adds the client's default headers itself; only the per-call timeout
    // and retry of the client's defaults are spelled out here.
    const { timeoutMs: rpcTimeoutMs, retry } = ctx.callDefaults;
    const call: CallOptions = {
      ...(rpcTimeoutMs === undefined ? {} : { timeoutMs: rpcTimeoutMs }),
      ...(options.retry === undefined ? (retry === undefined ? {} : { retry }) : { retry: options.retry }),
      ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
    };
    // The loop's RPC options and schedule are those of the waiter that started it; a waiter
    // joining a running loop polls on them (its own deadline and failure budget still apply).
    leave = ctx.loops.join(name, waiter, (onIdle) => {
      let loop: LoopControl | undefined;
      const source = operationPoller({
        name,
        transport: ctx.polls,
        clock,
        polling,
        strategy,
        support: ctx.support,
        call,
        debug: ctx.debug,
        // Every waiter of the loop gets each snapshot before the next sleep is planned, so
        // the first waiter's handle shows the latest one (while it stays joined).
        ...(sink.progress === undefined ? {} : { progress: () => sink.progress?.() }),
        ...(ctx.reaper === undefined ? {} : { reaper: ctx.reaper, loop: () => loop }),
      });
      const made = new PollLoop(source, clock, polling, onIdle);
      loop = made;
      return made;
    });
  });
}
