/**
 * The polling waits of one parent resource, served by one paged ListOperations a tick
 * (polling rule 13; see list-reaper.ts for the rule as a whole): a tick's timing, its
 * listing and its outcomes for every member, and the switch-off.
 */
import type { ListOperationsPage, RawOperation } from '../wire/types.js';
import { RUNNING_FILTER } from './list-options.js';
import {
  MAX_LIST_MISSES,
  type Membership,
  MISSING,
  OWN,
  type Reading,
  type ReaperContext,
  type ReapMember,
} from './reap-reading.js';
import { isRetryablePollError } from './retryable.js';

/** A member's place in its group. */
interface Place {
  readonly member: ReapMember;
  /** Clock time it joined: a listing sent earlier says nothing of it. */
  readonly joinedAt: number;
  misses: number;
  /** Set by a listing that lacked it while it did not ask: its next reading is `missing`. */
  missing: boolean;
  /** Polls on its own from now on (listing lag). */
  detached: boolean;
  /** Its reading waiting for the next tick, if any. */
  asked: { readonly at: number; readonly answer: (r: Reading) => void } | undefined;
}

/** The waits of one parent. */
export class ReapGroup {
  readonly #parent: string;
  readonly #ctx: ReaperContext;
  readonly #onEmpty: () => void;
  readonly #places = new Map<string, Place>();
  /** The client's switched-off parents, shared by its groups. */
  readonly #offParents: Map<string, string>;
  #lastListAt = Number.NEGATIVE_INFINITY;
  #listing = false;
  /** Set while a tick is planned: how to cancel its timer. */
  #planned: AbortController | undefined;
  /** Aborts the listing in flight when the group empties. */
  #stop = new AbortController();

  constructor(parent: string, ctx: ReaperContext, offParents: Map<string, string>, onEmpty: () => void) {
    this.#parent = parent;
    this.#ctx = ctx;
    this.#offParents = offParents;
    this.#onEmpty = onEmpty;
  }

  /** Why reaping is off for this parent; undefined while it is on. */
  get off(): string | undefined {
    return this.#offParents.get(this.#parent);
  }

  add(member: ReapMember): Membership {
    const place: Place = {
      member,
      joinedAt: this.#ctx.clock.now(),
      misses: 0,
      missing: false,
      detached: false,
      asked: undefined,
    };
    // Two loops never poll one name at once in a client; a stale place is replaced.
    this.#places.set(member.name, place);
    let left = false;
    return {
      read: (signal, budgetMs) => this.#read(place, signal, budgetMs),
      stillRunning: () => {
        if (++place.misses >= MAX_LIST_MISSES) place.detached = true;
      },
      fetchFailed: () => {
        place.missing = true;
      },
      leave: () => {
        if (left) return;
        left = true;
        place.asked?.answer(OWN);
        if (this.#places.get(member.name) === place) this.#places.delete(member.name);
        if (this.#places.size === 0) this.#empty();
      },
    };
  }

  #read(place: Place, signal: AbortSignal, budgetMs: number): Reading | Promise<Reading> {
    if (this.off !== undefined || place.detached) return OWN;
    if (place.missing) {
      place.missing = false;
      return MISSING;
    }
    if (this.#places.size >= this.#ctx.options.minWaits) return this.#ask(place, signal, budgetMs);
    // Too few waits to reap, unless more join in this same turn (a batch started in a loop,
    // or released by one answer): decide once they have. A single wait polls on its own,
    // on rule 3's schedule to the millisecond.
    return Promise.resolve().then(() =>
      this.#places.size >= this.#ctx.options.minWaits && this.off === undefined && !signal.aborted
        ? this.#ask(place, signal, budgetMs)
        : OWN,
    );
  }

  /** Asks for a reading at the next tick (planning it), or `own` when the tick would come after the deadline. */
  #ask(place: Place, signal: AbortSignal, budgetMs: number): Reading | Promise<Reading> {
    const { clock, initialDelayMs } = this.#ctx;
    const now = clock.now();
    if (Math.max(now, this.#lastListAt + initialDelayMs) - now > budgetMs) return OWN;
    return new Promise<Reading>((resolve) => {
      const onAbort = (): void => place.asked?.answer(OWN);
      place.asked = {
        at: now,
        answer: (reading) => {
          place.asked = undefined;
          signal.removeEventListener('abort', onAbort);
          resolve(reading);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#plan();
    });
  }

  /** Plans the next tick unless one is planned or a listing is in flight. */
  #plan(): void {
    if (this.#planned !== undefined || this.#listing) return;
    const cancel = new AbortController();
    this.#planned = cancel;
    const { clock, initialDelayMs } = this.#ctx;
    // Never sooner than initialDelayMs after the last listing; when that is now, still on a
    // timer, so the other polls due at this time (their timers fire first) share the tick.
    const delay = Math.max(0, this.#lastListAt + initialDelayMs - clock.now());
    clock.sleep(delay, cancel.signal).then(
      () => {
        if (this.#planned !== cancel) return;
        this.#planned = undefined;
        void this.#tick();
      },
      () => {}, // cancelled: the group emptied.
    );
  }

  /** One listing for every reading asked for, and the news it brings to the other members. */
  async #tick(): Promise<void> {
    const asking = [...this.#places.values()].filter((p) => p.asked !== undefined);
    if (asking.length === 0) return;
    if (this.off !== undefined || this.#places.size < this.#ctx.options.minWaits) {
      for (const place of asking) place.asked?.answer(OWN);
      return;
    }
    this.#listing = true;
    const { clock } = this.#ctx;
    const sentAt = clock.now();
    let plannedAt = sentAt;
    for (const place of asking) plannedAt = Math.min(plannedAt, place.asked?.at ?? sentAt);
    try {
      const outcome = await this.#list(plannedAt);
      if (outcome !== undefined) {
        const receivedAt = clock.now();
        if (outcome.filterIgnored) {
          // Its done operations are true answers for their members; the rest is not to be trusted.
          this.#deliver(outcome.listed, sentAt, receivedAt, true);
          this.#switchOff(
            `it listed done operations although asked for ${RUNNING_FILTER} (the filter is ignored)`,
          );
        } else {
          this.#deliver(outcome.listed, sentAt, receivedAt);
        }
      }
    } finally {
      this.#listing = false;
      this.#lastListAt = sentAt;
      if (this.off !== undefined) for (const place of this.#places.values()) place.asked?.answer(OWN);
      if ([...this.#places.values()].some((p) => p.asked !== undefined)) this.#plan();
    }
  }

  /**
   * Lists the parent's operations, page by page: the operations by name, and whether the
   * running filter was ignored (a done operation listed: the listing stops there).
   * Undefined when the listing failed; the readings are then answered (a failed poll, or
   * `own` once switched off).
   */
  async #list(
    plannedAt: number,
  ): Promise<{ listed: Map<string, RawOperation>; filterIgnored: boolean } | undefined> {
    const { transport, options, call } = this.#ctx;
    const listed = new Map<string, RawOperation>();
    const signal = this.#stop.signal;
    let pageToken = '';
    for (let page = 1; ; page++) {
      if (page > options.maxPages) {
        this.#switchOff(`its running operations need more than maxPages (${options.maxPages}) pages`);
        return undefined;
      }
      let result: ListOperationsPage;
      try {
        const request = { name: this.#parent, filter: options.filter, pageSize: options.pageSize, pageToken };
        result = await transport.list(
          request,
          { ...call, signal },
          { plannedAt, maxWaitMs: Number.POSITIVE_INFINITY },
        );
      } catch (error) {
        if (signal.aborted) return undefined;
        if (isRetryablePollError(error, call, signal)) {
          for (const place of this.#places.values()) place.asked?.answer({ kind: 'failed', error });
        } else {
          this.#switchOff(`ListOperations failed: ${error instanceof Error ? error.message : String(error)}`);
        }
        return undefined;
      }
      for (const raw of result.operations) listed.set(raw.name, raw);
      if (options.filter === RUNNING_FILTER && result.operations.some((raw) => raw.done)) {
        return { listed, filterIgnored: true };
      }
      if (result.nextPageToken === '') return { listed, filterIgnored: false };
      pageToken = result.nextPageToken;
    }
  }

  /**
   * Hands a listing to the members: a reading to those asking, a snapshot or a wake-up to
   * the others. `doneOnly`: only snapshots that say done are handed out (the rest of such
   * a listing is not to be trusted).
   */
  #deliver(listed: Map<string, RawOperation>, sentAt: number, receivedAt: number, doneOnly = false): void {
    for (const place of [...this.#places.values()]) {
      const raw = listed.get(place.member.name);
      if (raw !== undefined) {
        if (doneOnly && !raw.done) continue;
        place.misses = 0;
        if (place.asked !== undefined) place.asked.answer({ kind: 'listed', raw, sentAt, receivedAt });
        else place.member.offer(raw, sentAt, receivedAt);
      } else if (!doneOnly && place.joinedAt <= sentAt) {
        if (place.asked !== undefined) place.asked.answer(MISSING);
        else if (!place.detached) {
          place.missing = true;
          place.member.wake();
        }
      }
    }
  }

  #switchOff(reason: string): void {
    if (this.off !== undefined) return;
    this.#offParents.set(this.#parent, reason);
    this.#ctx.debug(`list reaping of ${this.#parent} is off, its waits poll GetOperation: ${reason}`);
    for (const place of this.#places.values()) place.asked?.answer(OWN);
  }

  #empty(): void {
    this.#planned?.abort();
    this.#planned = undefined;
    this.#stop.abort();
    this.#stop = new AbortController();
    this.#onEmpty();
  }
}
