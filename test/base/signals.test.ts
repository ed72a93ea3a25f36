import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { abortReason, linkSignals, raceAbort } from '../../src/base/signals.ts';

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs `body` and returns the unhandled rejections seen during it and a few turns after. */
async function unhandledDuring(body: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    seen.push(reason);
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    await body();
    for (let i = 0; i < 3; i++) await turn();
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return seen;
}

describe('abortReason', () => {
  it('returns the reason given to abort(), or the platform AbortError', () => {
    const a = new AbortController();
    a.abort('stop');
    assert.equal(abortReason(a.signal), 'stop');
    const b = new AbortController();
    b.abort();
    const reason = abortReason(b.signal);
    assert.ok(reason instanceof DOMException);
    assert.equal(reason.name, 'AbortError');
  });
});

describe('linkSignals', () => {
  it('aborts with the same reason when any input aborts, then detaches from the others', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals(a.signal, undefined, b.signal);
    assert.equal(linked.signal.aborted, false);
    assert.equal(listeners(a.signal) + listeners(b.signal), 2);
    const reason = new Error('b stopped');
    b.abort(reason);
    assert.equal(linked.signal.aborted, true);
    assert.equal(linked.signal.reason, reason);
    assert.equal(listeners(a.signal) + listeners(b.signal), 0);
  });

  it('aborts at once with the reason of an already-aborted input and adds no listener', () => {
    const a = new AbortController();
    const b = new AbortController();
    b.abort('early');
    const linked = linkSignals(a.signal, b.signal);
    assert.equal(linked.signal.aborted, true);
    assert.equal(linked.signal.reason, 'early');
    assert.equal(listeners(a.signal), 0);
  });

  it('never aborts without inputs', () => {
    assert.equal(linkSignals().signal.aborted, false);
    assert.equal(linkSignals(undefined).signal.aborted, false);
  });

  it('removes every listener it added on cleanup(), and then ignores the inputs', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals(a.signal, b.signal);
    linked.cleanup();
    linked.cleanup();
    assert.equal(listeners(a.signal) + listeners(b.signal), 0);
    a.abort();
    assert.equal(linked.signal.aborted, false);
  });
});

describe('raceAbort', () => {
  it('resolves as the promise does and removes its listener', async () => {
    const c = new AbortController();
    assert.equal(await raceAbort(Promise.resolve(7), c.signal), 7);
    assert.equal(listeners(c.signal), 0);
  });

  it('rejects as the promise does and removes its listener', async () => {
    const c = new AbortController();
    const error = new Error('rpc failed');
    await assert.rejects(raceAbort(Promise.reject(error), c.signal), error);
    assert.equal(listeners(c.signal), 0);
  });

  it('rejects at once with the reason when the signal aborts first, without an unhandled rejection', async () => {
    const c = new AbortController();
    let failLater: (e: Error) => void = () => {};
    const slow = new Promise<number>((_, reject) => {
      failLater = reject;
    });
    const unhandled = await unhandledDuring(async () => {
      const raced = raceAbort(slow, c.signal);
      c.abort('user gave up');
      await assert.rejects(raced, (e) => e === 'user gave up');
      assert.equal(listeners(c.signal), 0);
      failLater(new Error('late failure'));
    });
    assert.deepEqual(unhandled, []);
  });

  it('rejects immediately for an already-aborted signal and marks the promise handled', async () => {
    const c = new AbortController();
    c.abort('already');
    const unhandled = await unhandledDuring(async () => {
      await assert.rejects(raceAbort(Promise.reject(new Error('ignored')), c.signal), (e) => e === 'already');
    });
    assert.deepEqual(unhandled, []);
    assert.equal(listeners(c.signal), 0);
  });

  it('returns the promise itself when there is no signal', async () => {
    const p = Promise.resolve('x');
    assert.equal(raceAbort(p, undefined), p);
  });
});
