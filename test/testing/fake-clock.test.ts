import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/testing/fake-clock.ts';

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('FakeClock', () => {
  it('starts at startMs and moves only when advanced, ending at start + ms', async () => {
    const clock = new FakeClock(500);
    assert.equal(clock.now(), 500);
    await clock.advance(250);
    assert.equal(clock.now(), 750);
    await assert.rejects(clock.advance(-1), RangeError);
  });

  it('records every requested delay in order, negative and NaN as 0', () => {
    const clock = new FakeClock();
    for (const ms of [1000, -5, Number.NaN, 250]) void clock.sleep(ms);
    assert.deepEqual(clock.sleeps, [1000, 0, 0, 250]);
    assert.equal(clock.pendingSleeps, 4);
  });

  it('fires due sleeps in due-time order, with now() at each due time', async () => {
    const clock = new FakeClock(100);
    const fired: [string, number][] = [];
    const track = (label: string, ms: number): Promise<void> =>
      clock.sleep(ms).then(() => {
        fired.push([label, clock.now()]);
      });
    void track('c', 300);
    void track('a', 100);
    void track('b', 200);
    void track('late', 1000);
    assert.equal(clock.nextDueAt(), 200);
    await clock.advance(500);
    assert.deepEqual(fired, [
      ['a', 200],
      ['b', 300],
      ['c', 400],
    ]);
    assert.equal(clock.now(), 600);
    assert.equal(clock.pendingSleeps, 1);
    assert.equal(clock.nextDueAt(), 1100);
  });

  it('fires sleeps due at the same time in request order', async () => {
    const clock = new FakeClock();
    const fired: number[] = [];
    for (const i of [1, 2, 3]) void clock.sleep(50).then(() => fired.push(i));
    await clock.advance(50);
    assert.deepEqual(fired, [1, 2, 3]);
  });

  it('fires a 0 ms sleep on the next advance, even advance(0)', async () => {
    const clock = new FakeClock();
    let done = false;
    void clock.sleep(0).then(() => {
      done = true;
    });
    await clock.advance(0);
    assert.equal(done, true);
  });

  it('fires sleeps chained inside one advance while they fall in the window', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(100);
        await Promise.resolve();
        times.push(clock.now());
      }
    })();
    await clock.advance(350);
    assert.deepEqual(times, [100, 200, 300]);
    assert.equal(clock.nextDueAt(), 400);
    await clock.advance(200);
    await loop;
    assert.deepEqual(times, [100, 200, 300, 400, 500]);
  });

  it('rejects at once with the reason on abort, dropping the sleep and its listener', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const sleeping = clock.sleep(1000, c.signal);
    assert.equal(getEventListeners(c.signal, 'abort').length, 1);
    c.abort('stop');
    await assert.rejects(sleeping, (e) => e === 'stop');
    assert.equal(clock.pendingSleeps, 0);
    assert.equal(getEventListeners(c.signal, 'abort').length, 0);
  });

  it('rejects an already-aborted sleep at once, still recording it', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    c.abort('early');
    await assert.rejects(clock.sleep(10, c.signal), (e) => e === 'early');
    assert.deepEqual(clock.sleeps, [10]);
    assert.equal(clock.pendingSleeps, 0);
    assert.equal(getEventListeners(c.signal, 'abort').length, 0);
  });

  it('removes the abort listener when a sleep fires', async () => {
    const clock = new FakeClock();
    const c = new AbortController();
    const sleeping = clock.sleep(10, c.signal);
    await clock.advance(10);
    await sleeping;
    assert.equal(getEventListeners(c.signal, 'abort').length, 0);
  });

  it('untilSleeping resolves at once with the earliest pending delay', async () => {
    const clock = new FakeClock();
    void clock.sleep(300);
    void clock.sleep(200);
    assert.equal(await clock.untilSleeping(), 200);
  });

  it('untilSleeping waits through real I/O for the next sleep, then advanceToNext fires it', async () => {
    const clock = new FakeClock();
    const before = timeouts();
    const polls: number[] = [];
    const loop = (async () => {
      for (const delay of [1000, 1500]) {
        await readFile(import.meta.filename);
        polls.push(clock.now());
        await clock.sleep(delay);
      }
    })();
    assert.equal(await clock.untilSleeping(), 1000);
    assert.equal(timeouts(), before, 'the safety timer is cleared');
    assert.equal(await clock.advanceToNext(), 1000);
    assert.equal(await clock.untilSleeping(), 1500);
    await clock.advance((clock.nextDueAt() ?? Number.NaN) - clock.now());
    await loop;
    assert.deepEqual(polls, [0, 1000]);
    assert.equal(clock.now(), 2500);
  });

  it('untilSleeping rejects with a clear error when nothing sleeps within its real timeout', async () => {
    const clock = new FakeClock();
    await assert.rejects(clock.untilSleeping(5), /no sleep was requested within 5 ms of real time/);
    await assert.rejects(clock.advanceToNext(), /no sleep is pending/);
  });
});
