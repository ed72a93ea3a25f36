/**
 * Following an operation until it is done, as one waiter of its client's shared poll
 * loop: the wait options are checked, the loop for the name is joined (or started), each
 * snapshot is recorded on the handle, and the waiter leaves on done, failure, timeout or
 * abort, removing its listener. The handle (`operation.ts`) keeps the state; this file
 * keeps the waiting.
 */

import { TimeoutError } from '../errors.js';
import type { Registry } from '../proto/registry.js';
import type { Any, RawOperation } from '../proto/types.js';
import type { CallOptions, OperationsTransport } from '../transport/operations-transport.js';
import { checkOptionalMs, checkRetry, checkSignal } from '../transport/validate.js';
import { type PollingOptions, type ResolvedPollingOptions, resolvePolling } from './backoff.js';
import type { Clock } from './clock.js';
import { Deadline } from './deadline.js';
import { operationSource, STRATEGIES, type WaitStrategy, type WaitSupport } from './operation-poller.js';
import { type PollHub, SharedPoll, type Waiter } from './poll-loop.js';
import { abortReason } from './signals.js';

/** What a handle needs from its client. One per client, shared by all its handles. */
export interface OperationContext {
  readonly transport: OperationsTransport;
  readonly registry: Registry;
  readonly clock: Clock;
  readonly polling: ResolvedPollingOptions;
  readonly support: WaitSupport;
  readonly hub: PollHub<RawOperation>;
  /** The client's per-RPC defaults (headers, retry, timeout), used by every poll. */
  readonly callDefaults: CallOptions;
  /** Where failures nobody awaits are reported (a cancel sent on abort). */
  readonly debug: (message: string) => void;
}

/** The handle being followed: its latest snapshot, and where a new one is recorded. */
export interface FollowTarget {
  current(): RawOperation;
  update(raw: RawOperation): void;
  /** The progress (0..100) of the current snapshot, undefined when unknown; guides polling (rule 11). Optional. */
  progress?(): number | undefined;
}

/** The wait options `follow` acts on (`WaitOptions` without the handle-typed callback). */
export interface FollowOptions extends Omit<CallOptions, 'timeoutMs'> {
  timeoutMs?: number;
  polling?: PollingOptions;
  strategy?: WaitStrategy;
  onProgress?: unknown;
  cancelOnAbort?: boolean;
}

/** True when two Anys have the same type and bytes. */
function sameAny(a: Any | null | undefined, b: Any | null | undefined): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  return a.type_url === b.type_url && Buffer.compare(a.value, b.value) === 0;
}

/**
 * Follows `target` until done and resolves its final snapshot. `onChange` sees each
 * snapshot whose metadata bytes or done flag changed; a throw from it rejects. Throws
 * TypeError / RangeError for bad options before any RPC; resolves at once when already
 * done; rejects with TimeoutError, the poll's RpcError, or the signal's reason.
 */
export function follow(
  ctx: OperationContext,
  target: FollowTarget,
  options: FollowOptions,
  onChange: ((raw: RawOperation) => void) | undefined,
): Promise<RawOperation> {
  const timeoutMs = checkOptionalMs(options.timeoutMs, 'timeoutMs');
  const polling = resolvePolling(options.polling, ctx.polling);
  const strategy = options.strategy === undefined ? 'auto' : options.strategy;
  if (!STRATEGIES.includes(strategy)) {
    throw new RangeError(
      `strategy must be one of ${STRATEGIES.join(', ')} (got ${JSON.stringify(strategy)})`,
    );
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError('onProgress must be a function');
  }
  checkSignal(options.signal, 'signal');
  checkRetry(options.retry, 'retry');
  const initial = target.current();
  if (initial.done) return Promise.resolve(initial);
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const { clock } = ctx;
  const deadline = Deadline.after(clock, timeoutMs);
  const name = initial.name;
  return new Promise<RawOperation>((resolve, reject) => {
    let finished = false;
    let leave = (): void => {};
    let last = initial;
    const finish = (settle: () => void): void => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      leave();
      settle();
    };
    const waiter: Waiter<RawOperation> = {
      deadline,
      wantsUpdates: onChange !== undefined,
      deliver: (raw) => {
        if (finished) return true;
        target.update(raw);
        if (raw.done !== last.done || !sameAny(raw.metadata, last.metadata)) {
          last = raw;
          try {
            onChange?.(raw);
          } catch (error) {
            finish(() => reject(error));
            return true;
          }
        }
        if (raw.done) finish(() => resolve(raw));
        return raw.done;
      },
      fail: (error) => finish(() => reject(error)),
      timeOut: (polls, latest) =>
        finish(() => reject(new TimeoutError(name, timeoutMs ?? 0, deadline.elapsedMs(), polls, latest))),
    };
    const onAbort = (): void => {
      finish(() => reject(signal === undefined ? new Error('aborted') : abortReason(signal)));
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
    // A waiter joining a running loop takes its options; the first waiter's start it.
    leave = ctx.hub.join(name, waiter, (onIdle) => {
      const source = operationSource({
        name,
        transport: ctx.transport,
        clock,
        polling,
        strategy,
        support: ctx.support,
        call,
        // Every waiter of the loop gets each snapshot before the next sleep is planned, so
        // the first waiter's handle shows the latest one (while it stays joined).
        ...(target.progress === undefined ? {} : { progress: () => target.progress?.() }),
      });
      return new SharedPoll(source, clock, polling, onIdle);
    });
  });
}
