/**
 * A client's poll loops, one per key (an operation name): waiters of the same key share a
 * loop, and a loop leaves the set when it stops.
 */

import type { Waiter } from './poll-contract.js';
import type { PollLoop } from './poll-loop.js';

/** The loops of one client, one per key: waiters of the same key share a loop. */
export class PollLoops<S> {
  readonly #loops = new Map<string, PollLoop<S>>();

  /** Joins the running loop of `key`, or starts one with `create()`. Returns the leave function. */
  join(key: string, waiter: Waiter<S>, create: (onIdle: () => void) => PollLoop<S>): () => void {
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

  /** Ends every loop, failing its waiters with `error`. */
  close(error: unknown): void {
    for (const loop of [...this.#loops.values()]) loop.close(error);
    this.#loops.clear();
  }
}
