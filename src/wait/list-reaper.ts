/**
 * List reaping (polling rule 13): when at least `minWaits` polling waits of one client
 * share a parent resource, their GetOperation polls are replaced by one paged
 * `ListOperations({ name: parent, filter: 'done=false' })` per tick.
 *
 * - A member (one operation's poll loop) asks for a reading when its own schedule says
 *   poll (`read`). A tick lists the parent at the earliest such reading, never sooner than
 *   `initialDelayMs` after the last listing; every reading asked for until then is
 *   answered by that one listing.
 * - A listed operation answers its member's reading; a member that did not ask is handed
 *   the snapshot (`offer`: progress for its waiters and its ETA, rule 11).
 * - A member missing from the listing is fetched once with GetOperation, which brings its
 *   result: now, if it asked; else it is woken to poll at once (`wake`). Completion is only
 *   concluded from a snapshot that says done. An operation that is missing but still
 *   running (listing lag) stays waited; after two such misses it polls on its own.
 * - Reaping switches off for a parent, its waits going back to GetOperation, when the
 *   listing fails with a code no retry changes (INVALID_ARGUMENT, UNIMPLEMENTED,
 *   PERMISSION_DENIED, NOT_FOUND, ...), when it lists done operations although asked for
 *   `done=false` (the filter is ignored), or when the running set needs more than
 *   `maxPages` pages. A retryable failure (UNAVAILABLE, a quota refusal) fails the
 *   readings of that tick as a failed poll would, and the next tick tries again.
 *
 * Each page is one call of the client's poll budget (rule 12), planned at the earliest
 * reading. A group of one parent is reap-group.ts; what a group and its members say to
 * each other, reap-reading.ts.
 */
import { ReapGroup } from './reap-group.js';
import type { Membership, ReaperContext, ReapMember } from './reap-reading.js';

export {
  MAX_LIST_MISSES,
  type Membership,
  type Reading,
  type ReaperContext,
  type ReapMember,
} from './reap-reading.js';

/** The client's groups, one per parent. */
export class ListReaper {
  readonly #ctx: ReaperContext;
  readonly #groups = new Map<string, ReapGroup>();
  /** Parents reaping was switched off for, for the client's life, with the reason. */
  readonly #off = new Map<string, string>();

  constructor(ctx: ReaperContext) {
    this.#ctx = ctx;
  }

  /** Joins `member` to the group of its parent; undefined when its name has no parent (never reaped). */
  join(member: ReapMember): Membership | undefined {
    const parent = this.#ctx.options.parentOf(member.name);
    if (parent === undefined) return undefined;
    let group = this.#groups.get(parent);
    if (group === undefined) {
      const made = new ReapGroup(parent, this.#ctx, this.#off, () => {
        if (this.#groups.get(parent) === made) this.#groups.delete(parent);
      });
      group = made;
      this.#groups.set(parent, made);
    }
    return group.add(member);
  }

  /** Parents reaping was switched off for, with the reason (for diagnostics and tests). */
  get switchedOff(): ReadonlyMap<string, string> {
    return this.#off;
  }
}
