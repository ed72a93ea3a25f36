import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { MAX_TIMER_MS, normalizeDelayMs, systemClock } from '../../src/base/clock.ts';

const timeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('systemClock', () => {
  it('reads a monotonic millisecond time from performance.now()', () => {
    const a = systemClock.now();
    const b = performance.now();
    const c = systemClock.now();
    assert.ok(a <= b && b <= c);
  });

  it('resolves a short sleep and removes its abort listener', async () => {
    const c = new AbortController();
    await systemClock.sleep(2, c.signal);
    assert.equal(listeners(c.signal), 0);
  });

  it('treats negative and NaN delays as 0: such sleeps resolve before a 5 ms timer started after them', async () => {
    assert.equal(normalizeDelayMs(-5), 0);
    assert.equal(normalizeDelayMs(Number.NaN), 0);
    assert.equal(normalizeDelayMs(12.5), 12.5);
    assert.equal(normalizeDelayMs(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    const order: string[] = [];
    await Promise.all([
      systemClock.sleep(-5).then(() => order.push('-5')),
      systemClock.sleep(Number.NaN).then(() => order.push('NaN')),
      new Promise<void>((resolve) =>
        setTimeout(() => {
          order.push('5 ms timer');
          resolve();
        }, 5),
      ),
    ]);
    assert.deepEqual(order, ['-5', 'NaN', '5 ms timer']);
  });

  it('rejects at once with the reason of an already-aborted signal and starts no timer', async () => {
    const before = timeouts();
    const c = new AbortController();
    const reason = new Error('already');
    c.abort(reason);
    const sleeping = systemClock.sleep(60_000, c.signal);
    assert.equal(timeouts(), before);
    await assert.rejects(sleeping, reason);
    assert.equal(listeners(c.signal), 0);
  });

  it('rejects with the reason when aborted mid-way, leaving no timer and no listener', async () => {
    const before = timeouts();
    const c = new AbortController();
    const sleeping = systemClock.sleep(60_000, c.signal);
    assert.equal(timeouts(), before + 1, 'the pending sleep holds one ref’d timer');
    assert.equal(listeners(c.signal), 1);
    await turn();
    c.abort('stop');
    await assert.rejects(sleeping, (e) => e === 'stop');
    assert.equal(timeouts(), before);
    assert.equal(listeners(c.signal), 0);
  });

  it('rejects within the same turn as the abort', async () => {
    const c = new AbortController();
    let settled = false;
    const sleeping = systemClock.sleep(60_000, c.signal).catch(() => {
      settled = true;
    });
    c.abort();
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(settled, true);
    await sleeping;
  });

  it('holds delays above MAX_TIMER_MS with one timer and no overflow warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w);
    };
    process.on('warning', onWarning);
    const before = timeouts();
    const c = new AbortController();
    const sleeping = systemClock.sleep(MAX_TIMER_MS * 3, c.signal);
    await turn();
    assert.equal(timeouts(), before + 1);
    c.abort();
    await assert.rejects(sleeping, { name: 'AbortError' });
    await turn();
    process.off('warning', onWarning);
    assert.deepEqual(
      warnings.filter((w) => w.name === 'TimeoutOverflowWarning'),
      [],
    );
    assert.equal(timeouts(), before);
  });

  it('chains timers to wait out delays above MAX_TIMER_MS', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const setTimeoutSpy = t.mock.method(globalThis, 'setTimeout');
    let done = false;
    const sleeping = systemClock.sleep(MAX_TIMER_MS * 2 + 5).then(() => {
      done = true;
    });
    t.mock.timers.tick(MAX_TIMER_MS);
    await Promise.resolve();
    assert.equal(done, false);
    t.mock.timers.tick(MAX_TIMER_MS);
    await Promise.resolve();
    assert.equal(done, false);
    t.mock.timers.tick(4);
    await Promise.resolve();
    assert.equal(done, false);
    t.mock.timers.tick(1);
    await sleeping;
    assert.equal(done, true);
    assert.deepEqual(
      setTimeoutSpy.mock.calls.map((call) => call.arguments[1]),
      [MAX_TIMER_MS, MAX_TIMER_MS, 5],
    );
  });
});
