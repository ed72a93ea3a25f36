/**
 * The LRO side of a polling loop: which RPC each poll makes and which failures polling
 * survives. `auto` uses WaitOperation while the client has a free slot and the server
 * supports it (an UNIMPLEMENTED answer is remembered for the whole client), GetOperation
 * otherwise; `wait` insists on WaitOperation; `poll` uses GetOperation only.
 */

import type { ResolvedPollingOptions } from '../base/backoff.js';
import type { Clock } from '../base/clock.js';
import {
  type CallOptions,
  DEFAULT_RETRY,
  DEFAULT_RPC_TIMEOUT_MS,
  type OperationsTransport,
} from '../transport/operations-transport.js';
import { retryInfoDelayMs } from '../transport/retry.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import type { RawOperation } from '../wire/types.js';
import { EtaPlanner } from './eta.js';
import type { PollResult, PollSource } from './poll-contract.js';
import { checkSnapshotName } from './snapshot-name.js';
import type { WaitSlots } from './wait-slots.js';

/** How a wait reaches the server. */
export type WaitStrategy = 'auto' | 'wait' | 'poll';

/** The strategies, for validation. */
export const STRATEGIES: readonly WaitStrategy[] = ['auto', 'wait', 'poll'];

/**
 * The RPC timeout of a poll made when no time is left before the wait's deadline (the
 * final poll at the deadline): short, so the deadline is honoured to within about this.
 */
export const FINAL_POLL_TIMEOUT_MS = 25;

/** A WaitOperation that comes back not done before this share of its timeout counts as early (then back off). */
const EARLY_WAIT_SHARE = 0.9;

/** What a client shares among its loops: the slot budget and whether the server lacks WaitOperation. */
export interface WaitSupport {
  readonly slots: WaitSlots;
  unsupported: boolean;
}

/** Everything a poller needs, fixed when its loop starts. */
export interface OperationPollerOptions {
  readonly name: string;
  readonly transport: OperationsTransport;
  readonly clock: Clock;
  readonly polling: ResolvedPollingOptions;
  readonly strategy: WaitStrategy;
  readonly support: WaitSupport;
  /** Headers and retry of each poll RPC (the client's, never those of the call that started the operation). */
  readonly call: CallOptions;
  /** Where each survived poll failure is logged (NODE_DEBUG=longrunning). */
  readonly debug: (message: string) => void;
  /**
   * The progress (0..100) of the snapshot the last poll delivered, or undefined when it
   * reports none; read for ETA-guided polling (rule 11). Optional: absent, no guidance.
   */
  readonly progress?: () => number | undefined;
}

/**
 * True for a call the connection ended rather than the server answered, and that the loop
 * did not cancel itself (`signal` not aborted): CANCELLED (a server shutting down, e.g.
 * grpc-js `forceShutdown`, or a proxy), and the INTERNAL that grpc-js reports as "Received
 * RST_STREAM with code N" (e.g. every call of a connection the server closed with a GOAWAY,
 * as HTTP/2 servers do after a burst of cancellations).
 */
function endedByConnection(error: RpcError, signal: AbortSignal): boolean {
  if (signal.aborted) return false;
  return (
    error.code === Code.CANCELLED ||
    (error.code === Code.INTERNAL && error.rawMessage.startsWith('Received RST_STREAM'))
  );
}

/**
 * True for poll failures that polling survives: the retry policy's codes, RESOURCE_EXHAUSTED
 * with RetryInfo, and calls ended by the connection (a poll is an idempotent read).
 */
export function isRetryablePollError(
  error: unknown,
  call: CallOptions,
  signal: AbortSignal,
): error is RpcError {
  if (!RpcError.is(error)) return false;
  const codes = call.retry === undefined || call.retry === false ? DEFAULT_RETRY.codes : call.retry.codes;
  return (
    codes.includes(error.code) ||
    endedByConnection(error, signal) ||
    (error.code === Code.RESOURCE_EXHAUSTED && retryInfoDelayMs(error) !== undefined)
  );
}

/** A poll failure polling survives, with the delay the server asked for (an RpcError's `retryDelayMs`). */
function survived(error: RpcError): PollResult<RawOperation> {
  const after = error.retryDelayMs;
  return after === undefined ? { backOff: true, error } : { backOff: true, error, retryAfterMs: after };
}

/**
 * The PollSource of one operation's loop: each poll is a WaitOperation or a GetOperation
 * (see the file header), checked to answer for the operation's own name. Retryable
 * failures come back as `{ backOff: true, error }`; anything else rejects.
 */
export function operationPoller(o: OperationPollerOptions): PollSource<RawOperation> {
  /** Set when the last poll wanted WaitOperation but found no free slot: sleeps then end when one frees. */
  let starved = false;
  /** Rule 11, for GetOperation polling by choice ('poll', or 'auto' without WaitOperation); not for starved waits. */
  const guided = o.polling.eta === 'auto' && o.progress !== undefined;
  /** Made at the first guided snapshot: a held wait never needs one. */
  let eta: EtaPlanner | undefined;
  /** When the last poll was sent, if it was a GetOperation made by choice that returned a snapshot (what `planDelay` observes). */
  let guidedSentAt: number | undefined;

  /**
   * True when the wait's deadline (`byBudget`: it, not the per-RPC timeout, set the call's
   * deadline) ended the call: not an RPC failure, so the loop goes on to time the waiter out.
   */
  const endedByWaitDeadline = (error: unknown, byBudget: boolean): boolean =>
    byBudget && RpcError.is(error) && error.code === Code.DEADLINE_EXCEEDED;

  async function viaGet(budgetMs: number, signal: AbortSignal): Promise<PollResult<RawOperation>> {
    const rpcTimeoutMs = o.call.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    const timeoutMs = Math.min(rpcTimeoutMs, Math.max(budgetMs, FINAL_POLL_TIMEOUT_MS));
    const sentAt = o.clock.now();
    try {
      const snapshot = await o.transport.get(o.name, { ...o.call, signal, timeoutMs });
      const checked = checkSnapshotName(snapshot, o.name, 'GetOperation');
      guidedSentAt = starved ? undefined : sentAt;
      return { snapshot: checked, backOff: true };
    } catch (error) {
      if (isRetryablePollError(error, o.call, signal)) return survived(error);
      if (endedByWaitDeadline(error, timeoutMs < rpcTimeoutMs)) return { backOff: true };
      throw error;
    }
  }

  async function viaWait(
    budgetMs: number,
    signal: AbortSignal,
    paceMs: number | undefined,
  ): Promise<PollResult<RawOperation>> {
    const wait = o.transport.wait;
    if (wait === undefined) return viaGet(budgetMs, signal);
    const chunk = Math.max(1, Math.min(o.polling.waitChunkMs, budgetMs, paceMs ?? Number.POSITIVE_INFINITY));
    // The call may outlast the wait's deadline by FINAL_POLL_TIMEOUT_MS at most (time for
    // the server's answer at the end of `chunk`), or a slow server would hold it past timeoutMs.
    const byBudget = budgetMs + FINAL_POLL_TIMEOUT_MS < (o.call.timeoutMs ?? Number.POSITIVE_INFINITY);
    const call = byBudget
      ? { ...o.call, signal, timeoutMs: budgetMs + FINAL_POLL_TIMEOUT_MS }
      : { ...o.call, signal };
    const started = o.clock.now();
    try {
      const snapshot = checkSnapshotName(
        await wait.call(o.transport, o.name, chunk, call),
        o.name,
        'WaitOperation',
      );
      const early = o.clock.now() - started < chunk * EARLY_WAIT_SHARE;
      return { snapshot, backOff: !snapshot.done && early };
    } catch (error) {
      if (o.strategy === 'auto' && RpcError.is(error) && error.code === Code.UNIMPLEMENTED) {
        o.support.unsupported = true;
        return { backOff: false };
      }
      if (isRetryablePollError(error, o.call, signal)) return survived(error);
      if (endedByWaitDeadline(error, byBudget)) return { backOff: true };
      throw error;
    } finally {
      o.support.slots.release();
    }
  }

  return {
    poll(budgetMs, signal, paceMs) {
      starved = false;
      guidedSentAt = undefined;
      const wantsWait =
        o.strategy !== 'poll' &&
        o.transport.wait !== undefined &&
        !(o.strategy === 'auto' && o.support.unsupported) &&
        budgetMs > 0;
      if (!wantsWait) return viaGet(budgetMs, signal);
      if (o.support.slots.tryAcquire()) return viaWait(budgetMs, signal, paceMs);
      starved = true;
      return viaGet(budgetMs, signal);
    },
    isDone: (snapshot) => snapshot.done,
    wakeUp: (signal) => (starved ? o.support.slots.whenFree(signal) : undefined),
    retrying: (error, attempt, nextDelayMs) =>
      o.debug(
        `poll of ${o.name} failed (${attempt} in a row), next in ${Math.round(nextDelayMs)} ms: ${error instanceof Error ? error.message : String(error)}`,
      ),
    planDelay(backoff) {
      // Before any guided snapshot a planner would have nothing to go by: the drawn delay.
      if (!guided || (eta === undefined && guidedSentAt === undefined)) return backoff();
      eta ??= new EtaPlanner(o.polling.initialDelayMs);
      const now = o.clock.now();
      if (guidedSentAt !== undefined) eta.observe(guidedSentAt, now, o.progress?.());
      return eta.plan(now, backoff);
    },
  };
}
