/**
 * The LRO side of a polling loop: which RPC each poll makes and which failures polling
 * survives. `auto` uses WaitOperation while the client has a free slot and the server
 * supports it (learned once per client, wait-support.ts), GetOperation otherwise; `wait`
 * insists on WaitOperation; `poll` uses GetOperation only. Every call waits for a token
 * of the client's poll budget (rule 12); a GetOperation poll by choice is served by list
 * reaping when enough waits share its parent (rule 13).
 */

import type { ResolvedPollingOptions } from '../base/backoff.js';
import type { Clock } from '../base/clock.js';
import { raceAbort } from '../base/signals.js';
import { type CallOptions, DEFAULT_RPC_TIMEOUT_MS } from '../transport/operations-transport.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import type { RawOperation } from '../wire/types.js';
import { EtaPlanner } from './eta.js';
import type { ListReaper, Membership, ReapMember } from './list-reaper.js';
import type { MeteredTransport } from './metered-transport.js';
import type { PollResult, PollSource } from './poll-contract.js';
import { isRetryablePollError } from './retryable.js';
import { checkSnapshotName } from './snapshot-name.js';
import { PROBE_TIMEOUT_MS, type WaitSupport } from './wait-support.js';

export { isRetryablePollError } from './retryable.js';

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

/** What the poller can ask of its loop: hand it a listed snapshot, or end its sleep. */
export interface LoopControl {
  offer(raw: RawOperation): void;
  wake(): void;
}

/** Everything a poller needs, fixed when its loop starts. */
export interface OperationPollerOptions {
  readonly name: string;
  /** The client's transport, budgeted. */
  readonly transport: MeteredTransport;
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
  /** The client's list reaper (rule 13); absent when `listPolling` is false. */
  readonly reaper?: ListReaper;
  /** The loop this poller serves, once made (for snapshots and wake-ups from list reaping). */
  readonly loop?: () => LoopControl | undefined;
}

/** A poll failure polling survives, with the delay the server asked for (an RpcError's `retryDelayMs`). */
function survived(error: RpcError): PollResult<RawOperation> {
  const after = error.retryDelayMs;
  return after === undefined ? { backOff: true, error } : { backOff: true, error, retryAfterMs: after };
}

/** A poll that switched RPCs and should go again at once. */
const AGAIN: PollResult<RawOperation> = Object.freeze({ backOff: false });

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
  /** When the snapshot of the last poll was read, if it was a GetOperation by choice (what `planDelay` observes). */
  let guidedSentAt: number | undefined;
  /** This loop's place in list reaping, from its first GetOperation by choice; undefined when not reaped. */
  let membership: Membership | undefined;
  let joined = false;

  /**
   * True when the wait's deadline (`byBudget`: it, not the per-RPC timeout, set the call's
   * deadline) ended the call: not an RPC failure, so the loop goes on to time the waiter out.
   */
  const endedByWaitDeadline = (error: unknown, byBudget: boolean): boolean =>
    byBudget && RpcError.is(error) && error.code === Code.DEADLINE_EXCEEDED;

  const ticket = (budgetMs: number) => ({ plannedAt: o.clock.now(), maxWaitMs: budgetMs });

  /** One GetOperation. */
  async function getOnce(budgetMs: number, signal: AbortSignal): Promise<PollResult<RawOperation>> {
    const rpcTimeoutMs = o.call.timeoutMs ?? DEFAULT_RPC_TIMEOUT_MS;
    const timeoutMs = Math.min(rpcTimeoutMs, Math.max(budgetMs, FINAL_POLL_TIMEOUT_MS));
    const sentAt = o.clock.now();
    try {
      const snapshot = await o.transport.get(o.name, { ...o.call, signal, timeoutMs }, ticket(budgetMs));
      const checked = checkSnapshotName(snapshot, o.name, 'GetOperation');
      guidedSentAt = starved ? undefined : sentAt;
      return { snapshot: checked, backOff: true };
    } catch (error) {
      if (isRetryablePollError(error, o.call, signal)) return survived(error);
      if (endedByWaitDeadline(error, timeoutMs < rpcTimeoutMs)) return { backOff: true };
      throw error;
    }
  }

  /** This loop as list reaping sees it. */
  const member: ReapMember = {
    name: o.name,
    offer(raw, sentAt, receivedAt) {
      const loop = o.loop?.();
      if (loop === undefined) return;
      loop.offer(raw);
      if (guided && !raw.done) {
        eta ??= new EtaPlanner(o.polling.initialDelayMs);
        eta.observe(sentAt, receivedAt, o.progress?.());
      }
    },
    wake: () => o.loop?.()?.wake(),
  };

  /** A GetOperation poll by choice: through list reaping when the loop is a member. */
  async function viaGet(budgetMs: number, signal: AbortSignal): Promise<PollResult<RawOperation>> {
    if (!joined && o.reaper !== undefined && o.loop !== undefined) {
      joined = true;
      membership = o.reaper.join(member);
    }
    if (membership === undefined) return getOnce(budgetMs, signal);
    const reading = await membership.read(signal, budgetMs);
    switch (reading.kind) {
      case 'listed':
        guidedSentAt = reading.sentAt;
        return { snapshot: reading.raw, backOff: true };
      case 'failed':
        return survived(reading.error);
      case 'missing': {
        const fetched = await getOnce(budgetMs, signal);
        if (fetched.snapshot === undefined) membership?.fetchFailed();
        else if (!fetched.snapshot.done) membership?.stillRunning();
        return fetched;
      }
      default:
        return getOnce(budgetMs, signal);
    }
  }

  /**
   * One WaitOperation: held up to `chunk` on the server, or a probe of support (answered at
   * once). UNIMPLEMENTED under 'auto' teaches the client that the server lacks it.
   */
  async function viaWait(
    budgetMs: number,
    signal: AbortSignal,
    paceMs: number | undefined,
    probe: boolean,
  ): Promise<PollResult<RawOperation>> {
    const held = Math.max(1, Math.min(o.polling.waitChunkMs, budgetMs, paceMs ?? Number.POSITIVE_INFINITY));
    const chunk = probe ? Math.min(PROBE_TIMEOUT_MS, held) : held;
    // The call may outlast the wait's deadline by FINAL_POLL_TIMEOUT_MS at most (time for
    // the server's answer at the end of `chunk`), or a slow server would hold it past timeoutMs.
    const byBudget = budgetMs + FINAL_POLL_TIMEOUT_MS < (o.call.timeoutMs ?? Number.POSITIVE_INFINITY);
    const call = byBudget
      ? { ...o.call, signal, timeoutMs: budgetMs + FINAL_POLL_TIMEOUT_MS }
      : { ...o.call, signal };
    const started = o.clock.now();
    const learning = o.strategy === 'auto' && !o.support.unsupported;
    try {
      const snapshot = checkSnapshotName(
        await o.transport.wait(o.name, chunk, call, ticket(budgetMs)),
        o.name,
        'WaitOperation',
      );
      if (learning) o.support.learned(true);
      // A probe's answer comes at once by design: go on with a held call, no backoff.
      const early = !probe && o.clock.now() - started < chunk * EARLY_WAIT_SHARE;
      return { snapshot, backOff: !snapshot.done && early };
    } catch (error) {
      if (learning && RpcError.is(error) && error.code === Code.UNIMPLEMENTED) {
        o.support.learned(false);
        return AGAIN;
      }
      if (learning) o.support.unsettled();
      if (isRetryablePollError(error, o.call, signal)) return survived(error);
      if (endedByWaitDeadline(error, byBudget)) return { backOff: true };
      throw error;
    } finally {
      o.support.slots.release();
    }
  }

  /** True when this poll should be a WaitOperation. */
  const wantsWait = (budgetMs: number): boolean =>
    o.strategy !== 'poll' &&
    o.transport.hasWait &&
    !(o.strategy === 'auto' && o.support.unsupported) &&
    budgetMs > 0;

  async function poll(
    budgetMs: number,
    signal: AbortSignal,
    paceMs: number | undefined,
  ): Promise<PollResult<RawOperation>> {
    starved = false;
    guidedSentAt = undefined;
    if (!wantsWait(budgetMs)) return viaGet(budgetMs, signal);
    let probe = false;
    if (o.strategy === 'auto') {
      const turn = o.support.turn();
      if (typeof turn !== 'string') {
        // Another loop's probe is out: this poll is made once it is answered, as the client then knows.
        await raceAbort(turn, signal);
        return poll(budgetMs, signal, paceMs);
      }
      probe = turn === 'probe';
    }
    if (o.support.slots.tryAcquire()) return viaWait(budgetMs, signal, paceMs, probe);
    if (probe) o.support.unsettled();
    starved = true;
    return getOnce(budgetMs, signal);
  }

  return {
    poll,
    isDone: (snapshot) => snapshot.done,
    wakeUp: (signal) => (starved ? o.support.slots.whenFree(signal) : undefined),
    stopped: () => membership?.leave(),
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
