/**
 * The calls waiting for a token of a poll budget, earliest plan first (polling rule 12:
 * when tokens are short, the call planned earliest goes first, so every wait's schedule
 * slips evenly and none starves). A binary min-heap; a call that stops waiting (granted,
 * or abandoned on abort) is marked settled and dropped when it reaches the top.
 */

/** A call waiting for a token. */
export interface WaitingCall {
  /** The Clock time the call was planned for. */
  readonly plannedAt: number;
  /** Set once granted or abandoned: the queue then drops it. */
  settled: boolean;
  /** Lets the call go (sets `settled`). */
  grant(): void;
}

/** An entry with its place in arrival order, which breaks ties of `plannedAt`. */
interface Entry extends WaitingCall {
  readonly seq: number;
}

/** True when `a` goes before `b`: planned earlier, or planned at once and asked first. */
function before(a: Entry, b: Entry): boolean {
  return a.plannedAt < b.plannedAt || (a.plannedAt === b.plannedAt && a.seq < b.seq);
}

/** Waiting calls ordered by plan time, then arrival. */
export class PlanQueue {
  readonly #heap: Entry[] = [];
  #seq = 0;

  /** True when no entry is held (settled ones included until dropped). */
  get empty(): boolean {
    return this.#heap.length === 0;
  }

  /** Calls still waiting (settled ones not counted). */
  get waiting(): number {
    let n = 0;
    for (const e of this.#heap) if (!e.settled) n++;
    return n;
  }

  /** Queues a call planned at `plannedAt`; `onGrant` runs when `grant()` is called, once. */
  push(plannedAt: number, onGrant: () => void): WaitingCall {
    const entry: Entry = {
      plannedAt,
      seq: this.#seq++,
      settled: false,
      grant() {
        if (entry.settled) return;
        entry.settled = true;
        onGrant();
      },
    };
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (p === undefined || !before(entry, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = entry;
    return entry;
  }

  /** The first call still waiting (dropping settled ones), or undefined. */
  peek(): WaitingCall | undefined {
    for (;;) {
      const top = this.#heap[0];
      if (top === undefined || !top.settled) return top;
      this.pop();
    }
  }

  /** Removes the first entry. */
  pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = last;
      let at = -1;
      const left = heap[l];
      const right = heap[r];
      if (left !== undefined && before(left, smallest)) {
        smallest = left;
        at = l;
      }
      if (right !== undefined && before(right, smallest)) {
        smallest = right;
        at = r;
      }
      if (at === -1) break;
      heap[i] = smallest;
      i = at;
    }
    heap[i] = last;
  }
}
