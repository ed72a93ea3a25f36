import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BackoffOptions } from '../../src/base/backoff.ts';
import { Deadline } from '../../src/base/deadline.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import type { PollResult, PollSource, Waiter } from '../../src/wait/poll-contract.ts';
import { PollLoop } from '../../src/wait/poll-loop.ts';
import { PollLoops } from '../../src/wait/poll-loops.ts';

interface Snap {
  readonly n: number;
  readonly done: boolean;
}

const running = (n: number): PollResult<Snap> => ({ snapshot: { n, done: false }, backOff: true });
const done = (n: number): PollResult<Snap> => ({ snapshot: { n, done: true }, backOff: true });
const failed = (error: unknown): PollResult<Snap> => ({ backOff: true, error });
/** A poll that holds until the loop cancels it. */
const HOLD = Symbol('hold');
type Step = PollResult<Snap> | Error | typeof HOLD;

/** Delays of 1 s, 2 s, 4 s …, no jitter. */
const DOUBLING: BackoffOptions = { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 60_000, jitter: 0 };
/** Every delay 1 s. */
const STEADY: BackoffOptions = { initialDelayMs: 1000, multiplier: 1, maxDelayMs: 60_000, jitter: 0 };

/** A PollSource that answers from a script and records when and how each poll was made. */
class ScriptedSource implements PollSource<Snap> {
  readonly polls: { at: number; budgetMs: number; paceMs: number | undefined; cancelled?: unknown }[] = [];
  readonly #clock: FakeClock;
  readonly #script: Step[];

  constructor(clock: FakeClock, script: Step[]) {
    this.#clock = clock;
    this.#script = script;
  }

  poll(budgetMs: number, signal: AbortSignal, paceMs: number | undefined): Promise<PollResult<Snap>> {
    const record: (typeof this.polls)[number] = { at: this.#clock.now(), budgetMs, paceMs };
    this.polls.push(record);
    const step = this.#script.shift() ?? running(-1);
    if (step === HOLD) {
      return new Promise((_, reject) =>
        signal.addEventListener(
          'abort',
          () => {
            record.cancelled = signal.reason;
            reject(signal.reason);
          },
          { once: true },
        ),
      );
    }
    return step instanceof Error ? Promise.reject(step) : Promise.resolve(step);
  }

  isDone(snapshot: Snap): boolean {
    return snapshot.done;
  }

  get times(): number[] {
    return this.polls.map((p) => p.at);
  }
}

/** A waiter that records what happened to it, and when. */
function waiter(
  clock: FakeClock,
  options: { timeoutMs?: number; wantsUpdates?: boolean; failureBudgetMs?: number } = {},
) {
  const events: { at: number; kind: string; value?: unknown }[] = [];
  const retries: [unknown, number, number][] = [];
  const w: Waiter<Snap> & { events: typeof events; retries: typeof retries; kinds: () => string[] } = {
    deadline: Deadline.after(clock, options.timeoutMs),
    wantsUpdates: options.wantsUpdates ?? false,
    failureBudgetMs: options.failureBudgetMs ?? Number.POSITIVE_INFINITY,
    deliver(snapshot) {
      events.push({ at: clock.now(), kind: 'deliver', value: snapshot.n });
      return snapshot.done;
    },
    retrying(error, attempt, nextDelayMs) {
      retries.push([error, attempt, nextDelayMs]);
      return false;
    },
    fail(error) {
      events.push({ at: clock.now(), kind: 'fail', value: error });
    },
    timeOut(polls, latest, lastError) {
      events.push({ at: clock.now(), kind: 'timeOut', value: { polls, latest: latest?.n, lastError } });
    },
    events,
    retries,
    kinds: () => events.map((e) => e.kind),
  };
  return w;
}

function loop(clock: FakeClock, script: Step[], backoff = DOUBLING) {
  const source = new ScriptedSource(clock, script);
  let idle = 0;
  const l = new PollLoop(source, clock, backoff, () => idle++);
  return { source, loop: l, idle: () => idle };
}

describe('PollLoop', () => {
  it('polls at once, then after each backoff delay, and stops after delivering a done snapshot', async () => {
    const clock = new FakeClock();
    const { source, loop: l, idle } = loop(clock, [running(1), running(2), done(3)]);
    const w = waiter(clock);
    l.join(w);
    await clock.advance(10_000);
    assert.deepEqual(source.times, [0, 1000, 3000]);
    assert.deepEqual(clock.sleeps, [1000, 2000]);
    assert.deepEqual(
      w.events.map((e) => [e.at, e.value]),
      [
        [0, 1],
        [1000, 2],
        [3000, 3],
      ],
    );
    assert.equal(idle(), 1);
    assert.equal(l.stopped, true);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('shares one loop between waiters of the same key, and a joining waiter gets the next snapshot without a poll of its own', async () => {
    const clock = new FakeClock();
    const loops = new PollLoops<Snap>();
    const source = new ScriptedSource(clock, [running(1), running(2), done(3)]);
    const create = (onIdle: () => void) => new PollLoop(source, clock, DOUBLING, onIdle);
    const first = waiter(clock);
    const second = waiter(clock);
    loops.join('operations/a', first, create);
    await clock.advance(500);
    loops.join('operations/a', second, create);
    assert.equal(loops.size, 1);
    await clock.advance(10_000);
    assert.deepEqual(source.times, [0, 1000, 3000], 'no extra poll for the second waiter');
    assert.deepEqual(
      second.events.map((e) => [e.at, e.value]),
      [
        [1000, 2],
        [3000, 3],
      ],
    );
    assert.equal(loops.size, 0, 'the finished loop leaves the set');
  });

  it('stops when its last waiter leaves, cancelling the sleep in flight, and polls no more', async () => {
    const clock = new FakeClock();
    const { source, loop: l, idle } = loop(clock, []);
    const leaveA = l.join(waiter(clock));
    const leaveB = l.join(waiter(clock));
    await clock.advance(0);
    assert.equal(clock.pendingSleeps, 1);
    leaveA();
    assert.equal(l.stopped, false, 'one waiter is left');
    leaveB();
    assert.equal(l.stopped, true);
    assert.equal(idle(), 1);
    await clock.advance(0);
    assert.equal(clock.pendingSleeps, 0, 'the sleep was cancelled');
    await clock.advance(60_000);
    assert.deepEqual(source.times, [0]);
    assert.throws(() => l.join(waiter(clock)), /join after stop/);
  });

  it('clamps the last sleep to the deadline and times the waiter out after one final poll at it', async () => {
    const clock = new FakeClock();
    const { source, loop: l } = loop(clock, []);
    const w = waiter(clock, { timeoutMs: 2500 });
    l.join(w);
    await clock.advance(10_000);
    assert.deepEqual(source.times, [0, 1000, 2500]);
    assert.deepEqual(clock.sleeps, [1000, 1500]);
    assert.deepEqual(source.polls.at(-1)?.budgetMs, 0, 'the final poll has no time left');
    assert.deepEqual(w.events.at(-1), {
      at: 2500,
      kind: 'timeOut',
      value: { polls: 3, latest: -1, lastError: undefined },
    });
    assert.equal(clock.pendingSleeps, 0);
  });

  it('wakes early for a joining waiter whose deadline comes before the planned wake-up, and sleeps on for the others', async () => {
    const clock = new FakeClock();
    const { source, loop: l } = loop(clock, []);
    const patient = waiter(clock);
    l.join(patient);
    await clock.advance(200);
    const hasty = waiter(clock, { timeoutMs: 300 });
    l.join(hasty);
    await clock.advance(10_000);
    assert.deepEqual(source.times.slice(0, 3), [0, 500, 2500]);
    assert.deepEqual(hasty.events.at(-1), {
      at: 500,
      kind: 'timeOut',
      value: { polls: 1, latest: -1, lastError: undefined },
    });
    assert.equal(patient.kinds().includes('timeOut'), false);
  });

  it('replaces a holding poll with one bounded by the deadline of a waiter that joins meanwhile', async () => {
    const clock = new FakeClock();
    const { source, loop: l } = loop(clock, [HOLD, running(1)]);
    l.join(waiter(clock));
    await clock.advance(100);
    const hasty = waiter(clock, { timeoutMs: 400 });
    l.join(hasty);
    await clock.advance(0);
    assert.equal(source.polls.length, 2);
    assert.equal(source.polls[0]?.budgetMs, Number.POSITIVE_INFINITY);
    assert.match(String(source.polls[0]?.cancelled), /poll replaced/);
    assert.deepEqual([source.polls[1]?.at, source.polls[1]?.budgetMs], [100, 400]);
    assert.deepEqual(clock.sleeps, [400], 'the sleep after it ends at the new deadline');
  });

  it('replaces an unpaced holding poll with a paced one when a waiter that wants updates joins', async () => {
    const clock = new FakeClock();
    const { source, loop: l } = loop(clock, [HOLD, running(1)]);
    l.join(waiter(clock));
    await clock.advance(50);
    assert.equal(source.polls[0]?.paceMs, undefined);
    l.join(waiter(clock, { wantsUpdates: true }));
    await clock.advance(0);
    assert.deepEqual([source.polls[1]?.at, source.polls[1]?.paceMs], [50, 1000]);
    assert.deepEqual(clock.sleeps, [1000], 'the pace drawn for the poll is the sleep after it');
  });

  it('fails every waiter with a poll error it cannot survive, and stops', async () => {
    const clock = new FakeClock();
    const boom = new Error('PERMISSION_DENIED');
    const { loop: l, idle } = loop(clock, [running(1), boom]);
    const a = waiter(clock);
    const b = waiter(clock);
    l.join(a);
    l.join(b);
    await clock.advance(5000);
    for (const w of [a, b]) assert.deepEqual(w.events.at(-1), { at: 1000, kind: 'fail', value: boom });
    assert.equal(idle(), 1);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('reports each survived failure with its attempt and the next delay, and fails with the last error when the failure budget ends', async () => {
    const clock = new FakeClock();
    const errors = [1, 2, 3].map((n) => new Error(`UNAVAILABLE ${n}`));
    const { source, loop: l } = loop(
      clock,
      errors.map((e) => failed(e)),
    );
    const w = waiter(clock, { failureBudgetMs: 2500 });
    l.join(w);
    await clock.advance(10_000);
    assert.deepEqual(source.times, [0, 1000, 2500], 'the last poll is made when the budget ends');
    assert.deepEqual(w.retries, [
      [errors[0], 1, 1000],
      [errors[1], 2, 1500],
    ]);
    assert.deepEqual(w.events, [{ at: 2500, kind: 'fail', value: errors[2] }]);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('counts the failure budget from the last successful poll', async () => {
    const clock = new FakeClock();
    const e = new Error('UNAVAILABLE');
    const { source, loop: l } = loop(
      clock,
      [running(1), failed(e), failed(e), running(2), failed(e), failed(e), failed(e)],
      STEADY,
    );
    const w = waiter(clock, { failureBudgetMs: 2500 });
    l.join(w);
    await clock.advance(20_000);
    // ok at 0; failures at 1000 and 2000; the sleep ends with the budget (2500), where a
    // poll succeeds; failures at 3500 and 4500; the budget from 2500 ends at 5000.
    assert.deepEqual(source.times, [0, 1000, 2000, 2500, 3500, 4500, 5000]);
    assert.deepEqual(
      w.retries.map(([, attempt, next]) => [attempt, next]),
      [
        [1, 1000],
        [2, 500],
        [1, 1000],
        [2, 500],
      ],
    );
    assert.deepEqual(w.events.at(-1), { at: 5000, kind: 'fail', value: e });
  });

  it('waits at least the retry delay a failed poll asked for, but never past the deadline', async () => {
    const clock = new FakeClock();
    const e = new Error('RESOURCE_EXHAUSTED');
    const { source, loop: l } = loop(
      clock,
      [
        { backOff: true, error: e, retryAfterMs: 2500 },
        running(1),
        { backOff: true, error: e, retryAfterMs: 60_000 },
      ],
      STEADY,
    );
    const w = waiter(clock, { timeoutMs: 10_000 });
    l.join(w);
    await clock.advance(20_000);
    assert.deepEqual(source.times, [0, 2500, 3500, 10_000]);
    assert.deepEqual(clock.sleeps, [2500, 1000, 6500]);
    assert.deepEqual(
      w.retries.map(([, attempt, next]) => [attempt, next]),
      [
        [1, 2500],
        [1, 6500],
      ],
    );
  });

  it('gives a waiter that times out after a failed poll that poll’s error', async () => {
    const clock = new FakeClock();
    const e = new Error('UNAVAILABLE');
    const { loop: l } = loop(clock, [running(1), failed(e), failed(e)]);
    const w = waiter(clock, { timeoutMs: 1500 });
    l.join(w);
    await clock.advance(5000);
    assert.deepEqual(w.events.at(-1), {
      at: 1500,
      kind: 'timeOut',
      value: { polls: 3, latest: 1, lastError: e },
    });
  });

  it('ends a sleep early when the source wakes it, and attaches nothing to a wake-up promise it does not get', async () => {
    const clock = new FakeClock();
    const source = new ScriptedSource(clock, []);
    let wakeNow: (() => void) | undefined;
    const wakeUps: (Promise<void> | undefined)[] = [];
    const waking: PollSource<Snap> = {
      poll: (b, s, p) => source.poll(b, s, p),
      isDone: (s) => s.done,
      wakeUp: () => {
        const p =
          wakeUps.length === 0
            ? new Promise<void>((resolve) => {
                wakeNow = resolve;
              })
            : undefined;
        wakeUps.push(p);
        return p;
      },
    };
    const l = new PollLoop(waking, clock, DOUBLING, () => {});
    const leave = l.join(waiter(clock));
    await clock.advance(300);
    wakeNow?.();
    await clock.advance(0);
    assert.deepEqual(source.times, [0, 300], 'the first sleep ended when the source woke it');
    await clock.advance(2000);
    assert.deepEqual(source.times, [0, 300, 2300]);
    leave();
  });
});
