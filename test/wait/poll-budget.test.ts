import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { checkPollBudget, PollBudget } from '../../src/wait/poll-budget.ts';

/** Records the fake time at which each take is granted, by label. */
function recorder(clock: FakeClock) {
  const granted: [string, number][] = [];
  const take = (
    budget: PollBudget,
    label: string,
    plannedAt = clock.now(),
    signal?: AbortSignal,
    maxWaitMs?: number,
  ) => {
    const pending = budget.take(plannedAt, signal, maxWaitMs);
    if (pending === undefined) {
      granted.push([label, clock.now()]);
      return Promise.resolve();
    }
    return pending.then(() => {
      granted.push([label, clock.now()]);
    });
  };
  return { granted, take };
}

describe('PollBudget', () => {
  it("'auto' never delays a call before the first quota refusal", () => {
    const clock = new FakeClock(0);
    const budget = new PollBudget(clock);
    for (let i = 0; i < 10_000; i++) assert.equal(budget.take(0), undefined);
    assert.equal(budget.rate, Number.POSITIVE_INFINITY);
    assert.equal(clock.pendingSleeps, 0, 'no timer');
  });

  it('a hard cap grants a burst at once, then one call every 1/perSecond, at exact times', async () => {
    const clock = new FakeClock(0);
    const budget = new PollBudget(clock, { perSecond: 2 });
    const { granted, take } = recorder(clock);
    const all = Promise.all(['a', 'b', 'c', 'd', 'e'].map((label) => take(budget, label)));
    await clock.advance(2000);
    await all;
    assert.deepEqual(granted, [
      ['a', 0],
      ['b', 0],
      ['c', 500],
      ['d', 1000],
      ['e', 1500],
    ]);
    assert.equal(clock.pendingSleeps, 0, 'no timer once nothing waits');
  });

  it('grants the call planned earliest first when tokens are short, whatever the order it asked in', async () => {
    const clock = new FakeClock(0);
    const budget = new PollBudget(clock, { perSecond: 1, burst: 1 });
    const { granted, take } = recorder(clock);
    await take(budget, 'first');
    const rest = [take(budget, 'late', 300), take(budget, 'early', 100), take(budget, 'middle', 200)];
    await clock.advance(3000);
    await Promise.all(rest);
    assert.deepEqual(granted, [
      ['first', 0],
      ['early', 1000],
      ['middle', 2000],
      ['late', 3000],
    ]);
  });

  it('an aborted call rejects with the reason and gives up its place; the next one moves up', async () => {
    const clock = new FakeClock(0);
    const budget = new PollBudget(clock, { perSecond: 1, burst: 1 });
    const { granted, take } = recorder(clock);
    await take(budget, 'first');
    const stop = new AbortController();
    const aborted = take(budget, 'aborted', 0, stop.signal);
    const next = take(budget, 'next', 1);
    stop.abort(new Error('stopped'));
    await assert.rejects(aborted, /stopped/);
    await clock.advance(1000);
    await next;
    assert.deepEqual(granted, [
      ['first', 0],
      ['next', 1000],
    ]);
    assert.equal(budget.waiting, 0);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('a server-requested pause holds every waiting call until then, capped at maxPauseMs', async () => {
    const clock = new FakeClock(0);
    const budget = new PollBudget(clock, {}, 1500);
    const { granted, take } = recorder(clock);
    budget.pause(86_400_000);
    assert.equal(budget.pausedUntil, 1500, 'a day is capped at maxPauseMs');
    const waiting = [take(budget, 'a'), take(budget, 'b')];
    await clock.advance(1500);
    await Promise.all(waiting);
    assert.deepEqual(granted, [
      ['a', 1500],
      ['b', 1500],
    ]);
  });

  it('direct calls are never delayed but take tokens, up to one burst into debt', async () => {
    const clock = new FakeClock(0);
    const budget = new PollBudget(clock, { perSecond: 4 });
    for (let i = 0; i < 100; i++) budget.spend();
    const { granted, take } = recorder(clock);
    const poll = take(budget, 'poll');
    await clock.advance(2000);
    await poll;
    // 4 tokens spent, then 4 of debt (one burst): the poll waits for 5 tokens at 4 a second.
    assert.deepEqual(granted, [['poll', 1250]]);
  });

  it('maxWaitMs lets a call go at that time on credit (a final poll at a deadline is never held back)', async () => {
    const clock = new FakeClock(0);
    const budget = new PollBudget(clock, { perSecond: 1, burst: 1 });
    const { granted, take } = recorder(clock);
    await take(budget, 'first');
    const bounded = take(budget, 'bounded', 0, undefined, 300);
    const zero = take(budget, 'zero', 0, undefined, 0);
    await clock.advance(300);
    await Promise.all([bounded, zero]);
    assert.deepEqual(granted, [
      ['first', 0],
      ['zero', 0],
      ['bounded', 300],
    ]);
  });

  describe("'auto'", () => {
    it('the first refusal sets the rate to 0.9 × the calls that succeeded over the last seconds', () => {
      const clock = new FakeClock(0);
      const budget = new PollBudget(clock);
      for (let i = 0; i < 20; i++) budget.succeeded(0);
      budget.exhausted(0, undefined);
      assert.equal(budget.rate, 18, '20 successes within the first second: 20/s');
    });

    it('the answers to the same burst that arrive after its first refusal raise the rate to 0.9 × what got through', async () => {
      const clock = new FakeClock(0);
      const budget = new PollBudget(clock);
      for (let i = 0; i < 3; i++) budget.succeeded(0);
      budget.exhausted(0, undefined);
      assert.ok(Math.abs(budget.rate - 2.7) < 1e-9, 'three answers in so far');
      await clock.advance(200);
      for (let i = 0; i < 17; i++) budget.succeeded(0);
      assert.ok(Math.abs(budget.rate - 18) < 1e-9, `twenty got through within the second (${budget.rate})`);
      await clock.advance(1000);
      budget.succeeded(1100);
      assert.ok(
        Math.abs(budget.rate - 18) < 1e-9,
        'a second later, only additive increase (and nothing waits)',
      );
    });

    it('refusals of calls in flight before a decrease change nothing more; a later one lowers it by 0.8', async () => {
      const clock = new FakeClock(0);
      const budget = new PollBudget(clock);
      for (let i = 0; i < 50; i++) budget.succeeded(0);
      await clock.advance(100);
      budget.exhausted(50, undefined);
      assert.equal(budget.rate, 45);
      await clock.advance(100);
      budget.exhausted(60, undefined);
      assert.equal(budget.rate, 45, 'sent before the decrease at 100');
      budget.exhausted(150, undefined);
      assert.equal(budget.rate, 36);
    });

    it('each success raises the rate by 0.02 calls a second (2 % a second at full use), only while calls wait for tokens', async () => {
      const clock = new FakeClock(0);
      const budget = new PollBudget(clock);
      for (let i = 0; i < 10; i++) budget.succeeded(0);
      budget.exhausted(0, undefined);
      assert.equal(budget.rate, 9);
      await clock.advance(1000);
      budget.succeeded(1000);
      assert.equal(budget.rate, 9, 'the bucket refilled and nothing waits: the demand is the limit');
      for (let i = 0; i < 9; i++) assert.equal(budget.take(1000), undefined);
      const waiting = budget.take(1000);
      assert.ok(waiting !== undefined, 'the burst is spent');
      for (let i = 0; i < 9; i++) budget.succeeded(1000);
      assert.ok(
        Math.abs(budget.rate - 9.18) < 1e-9,
        `9 successes at 9/s add 0.18 calls a second (${budget.rate})`,
      );
      await clock.advance(1000);
      await waiting;
    });

    it('a refusal with a retry delay pauses every waiting call for that delay', async () => {
      const clock = new FakeClock(0);
      const budget = new PollBudget(clock);
      const { granted, take } = recorder(clock);
      for (let i = 0; i < 10; i++) budget.succeeded(0);
      budget.exhausted(0, 250);
      const waiting = take(budget, 'a');
      await clock.advance(250);
      await waiting;
      assert.deepEqual(granted, [['a', 250]]);
    });
  });

  it('rejects invalid options naming the field', () => {
    assert.throws(
      () => checkPollBudget({ perSecond: 0 }),
      /pollBudget.perSecond must be 'auto' or a finite number > 0 \(got 0\)/,
    );
    assert.throws(() => checkPollBudget({ perSecond: 'fast' }), /got "fast"/);
    assert.throws(() => checkPollBudget({ burst: 0 }), /pollBudget.burst must be a finite number >= 1/);
    assert.throws(() => checkPollBudget(5), TypeError);
    checkPollBudget(undefined);
    checkPollBudget({ perSecond: 'auto', burst: 3 });
  });
});
