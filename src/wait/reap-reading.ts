/**
 * What list reaping (rule 13) and a member poll loop say to each other: the member's side,
 * the readings a tick answers with, and the handle a member holds on its group.
 */
import type { Clock } from '../base/clock.js';
import type { CallOptions } from '../transport/operations-transport.js';
import type { RpcError } from '../wire/errors.js';
import type { RawOperation } from '../wire/types.js';
import type { ResolvedListPolling } from './list-options.js';
import type { MeteredTransport } from './metered-transport.js';

/** A member's side: one operation's poll loop. */
export interface ReapMember {
  /** The operation's name. */
  readonly name: string;
  /** A listing the member did not ask for showed the operation: hand the snapshot to its waiters. */
  offer(raw: RawOperation, sentAt: number, receivedAt: number): void;
  /** A listing lacked the operation while the member was not asking: poll it now. */
  wake(): void;
}

/** What a reading comes to. */
export type Reading =
  /** The listing showed the operation (sent and answered at these Clock times). */
  | {
      readonly kind: 'listed';
      readonly raw: RawOperation;
      readonly sentAt: number;
      readonly receivedAt: number;
    }
  /** The listing lacked it: fetch it once with GetOperation. */
  | { readonly kind: 'missing' }
  /** Not reaped now (too few waits, switched off, too close to the deadline): poll on your own. */
  | { readonly kind: 'own' }
  /** The listing failed in a way polling survives: a failed poll. */
  | { readonly kind: 'failed'; readonly error: RpcError };

/** A reading that says: poll on your own. */
export const OWN: Reading = Object.freeze({ kind: 'own' });
/** A reading that says: fetch the operation once. */
export const MISSING: Reading = Object.freeze({ kind: 'missing' });

/** Misses (missing from a listing, running by GetOperation) after which a member polls on its own. */
export const MAX_LIST_MISSES = 2;

/** What the reaper needs from its client. */
export interface ReaperContext {
  readonly transport: MeteredTransport;
  readonly clock: Clock;
  readonly options: ResolvedListPolling;
  /** The client's per-RPC options (headers, retry, timeout) for the listings. */
  readonly call: CallOptions;
  /** The least time between two listings of a parent: the client's `polling.initialDelayMs`. */
  readonly initialDelayMs: number;
  readonly debug: (message: string) => void;
}

/** A member's handle on its group. */
export interface Membership {
  /**
   * A reading for a poll due now, with `budgetMs` left before the earliest deadline of
   * its waiters: resolves at the next tick, or at once (`own`, `missing`). Resolves `own`
   * when `signal` aborts.
   */
  read(signal: AbortSignal, budgetMs: number): Reading | Promise<Reading>;
  /** The GetOperation of a `missing` reading found the operation still running. */
  stillRunning(): void;
  /** The GetOperation of a `missing` reading failed: the next reading is `missing` again, without a listing. */
  fetchFailed(): void;
  /** The member leaves (its loop stopped). Idempotent. */
  leave(): void;
}
