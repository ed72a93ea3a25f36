import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  Backoff,
  DEFAULT_FAILURE_BUDGET_MS,
  DEFAULT_INITIAL_DELAY_MS,
  DEFAULT_JITTER,
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_MULTIPLIER,
  DEFAULT_POLLING,
  DEFAULT_WAIT_CHUNK_MS,
  type PollingOptions,
  resolvePolling,
} from '../../src/base/backoff.ts';
import { MAX_TIMER_MS } from '../../src/base/clock.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';

const take = (b: Backoff, n: number): number[] => Array.from({ length: n }, () => b.next());

describe('resolvePolling', () => {
  it('exports the documented defaults, frozen', () => {
    assert.deepEqual(
      [
        DEFAULT_INITIAL_DELAY_MS,
        DEFAULT_MULTIPLIER,
        DEFAULT_MAX_DELAY_MS,
        DEFAULT_JITTER,
        DEFAULT_WAIT_CHUNK_MS,
        DEFAULT_FAILURE_BUDGET_MS,
      ],
      [1000, 1.5, 60_000, 0.2, 30_000, 300_000],
    );
    assert.deepEqual(resolvePolling(), { ...DEFAULT_POLLING });
    assert.ok(Object.isFrozen(DEFAULT_POLLING));
  });

  it('keeps 0 as a value and fills undefined fields from the base', () => {
    const base = { ...DEFAULT_POLLING, waitChunkMs: 5 };
    const resolved = resolvePolling({ initialDelayMs: 0, jitter: 0, maxDelayMs: 0 }, base);
    assert.deepEqual(resolved, {
      initialDelayMs: 0,
      multiplier: 1.5,
      maxDelayMs: 0,
      jitter: 0,
      waitChunkMs: 5,
      failureBudgetMs: 300_000,
      connectBudgetMs: 20_000,
      eta: 'auto',
    });
  });

  it('takes eta as auto or false, and rejects anything else naming the option', () => {
    assert.equal(resolvePolling({ eta: false }).eta, false);
    assert.equal(resolvePolling({}, { ...DEFAULT_POLLING, eta: false }).eta, false);
    assert.throws(
      () => resolvePolling({ eta: 'on' as 'auto' }),
      (e) => e instanceof TypeError && e.message === `polling.eta must be 'auto' or false (got "on")`,
    );
  });

  it('accepts a maxDelayMs below initialDelayMs (the cap wins)', () => {
    const resolved = resolvePolling({ initialDelayMs: 5000, maxDelayMs: 100 });
    assert.deepEqual(take(new Backoff({ ...resolved, jitter: 0 }), 3), [100, 100, 100]);
  });

  const bad: [PollingOptions, string][] = [
    [{ initialDelayMs: -1 }, 'polling.initialDelayMs must be a finite number >= 0 (got -1)'],
    [
      { initialDelayMs: Number.POSITIVE_INFINITY },
      'polling.initialDelayMs must be a finite number >= 0 (got Infinity)',
    ],
    [{ multiplier: 0.5 }, 'polling.multiplier must be a finite number >= 1 (got 0.5)'],
    [{ multiplier: Number.NaN }, 'polling.multiplier must be a finite number >= 1 (got NaN)'],
    [{ maxDelayMs: -5 }, 'polling.maxDelayMs must be a finite number >= 0 (got -5)'],
    [{ jitter: 1.5 }, 'polling.jitter must be a number between 0 and 1 (got 1.5)'],
    [{ jitter: -0.1 }, 'polling.jitter must be a number between 0 and 1 (got -0.1)'],
    [{ waitChunkMs: 0 }, 'polling.waitChunkMs must be a finite number > 0 (got 0)'],
  ];
  for (const [options, message] of bad) {
    it(`throws RangeError "${message}"`, () => {
      assert.throws(() => resolvePolling(options), { name: 'RangeError', message });
    });
  }

  it('throws TypeError naming the option for a non-number', () => {
    const options: Record<string, unknown> = { jitter: '0.1' };
    assert.throws(() => resolvePolling(options), {
      name: 'TypeError',
      message: 'polling.jitter must be a number (got string)',
    });
  });
});

describe('Backoff', () => {
  it('yields exactly 1000, 2000, 4000, 4000 with multiplier 2, cap 4000 and no jitter', () => {
    const b = new Backoff({ initialDelayMs: 1000, multiplier: 2, maxDelayMs: 4000, jitter: 0 });
    assert.deepEqual(take(b, 6), [1000, 2000, 4000, 4000, 4000, 4000]);
  });

  it('grows the default schedule as initialDelayMs × multiplier^n up to the cap', () => {
    const b = new Backoff({ ...DEFAULT_POLLING, jitter: 0 });
    const expected = Array.from({ length: 20 }, (_, n) => Math.min(1000 * 1.5 ** n, 60_000));
    assert.deepEqual(take(b, 20), expected);
  });

  it('keeps every jittered delay within [0.8, 1.2] × its step and never above the cap', () => {
    const b = new Backoff(
      { initialDelayMs: 1000, multiplier: 1.5, maxDelayMs: 60_000, jitter: 0.2 },
      seededRandom(42),
    );
    let reachedCap = false;
    for (let i = 0; i < 10_000; i++) {
      if (i % 25 === 0) b.reset();
      const step = Math.min(1000 * 1.5 ** (i % 25), 60_000);
      const delay = b.next();
      assert.ok(delay >= 0.8 * step && delay <= 1.2 * step, `delay ${delay} outside jitter of step ${step}`);
      assert.ok(delay <= 60_000, `delay ${delay} above the cap`);
      reachedCap ||= delay === 60_000;
    }
    assert.ok(reachedCap, 'some delays near the cap were clamped to it');
  });

  it('maps random() 0 to the low edge and values near 1 to the high edge of the jitter', () => {
    const options = { initialDelayMs: 1000, multiplier: 1, maxDelayMs: 10_000, jitter: 0.5 };
    assert.equal(new Backoff(options, () => 0).next(), 500);
    assert.equal(new Backoff(options, () => 0.5).next(), 1000);
    assert.ok(new Backoff(options, () => 0.999999).next() < 1500);
  });

  it('counts next() calls in attempts and starts over on reset()', () => {
    const b = new Backoff({ initialDelayMs: 10, multiplier: 3, maxDelayMs: 1000, jitter: 0 });
    assert.deepEqual(take(b, 3), [10, 30, 90]);
    assert.equal(b.attempts, 3);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.deepEqual(take(b, 2), [10, 30]);
  });

  it('never overflows: huge caps clamp to MAX_TIMER_MS and a zero start stays zero', () => {
    const huge = new Backoff({ initialDelayMs: 1, multiplier: 10, maxDelayMs: Number.MAX_VALUE, jitter: 1 });
    for (const d of take(huge, 5000)) assert.ok(Number.isFinite(d) && d >= 0 && d <= MAX_TIMER_MS);
    const zero = new Backoff({ initialDelayMs: 0, multiplier: 2, maxDelayMs: 1000, jitter: 0 });
    assert.deepEqual(new Set(take(zero, 5000)), new Set([0]));
  });

  it('validates its options, naming the bad one', () => {
    assert.throws(() => new Backoff({ initialDelayMs: 1, multiplier: 0, maxDelayMs: 1, jitter: 0 }), {
      name: 'RangeError',
      message: 'multiplier must be a finite number >= 1 (got 0)',
    });
  });

  it('satisfies the schedule bounds for any valid options (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1e10, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        (initialDelayMs, multiplier, maxDelayMs, jitter, seed) => {
          const b = new Backoff({ initialDelayMs, multiplier, maxDelayMs, jitter }, seededRandom(seed));
          for (let n = 0; n < 60; n++) {
            const step = Math.min(initialDelayMs * multiplier ** n, maxDelayMs);
            const d = b.next();
            const high = Math.min(step * (1 + jitter), maxDelayMs, MAX_TIMER_MS);
            const low = Math.min(step * (1 - jitter), high);
            assert.ok(d >= low * (1 - 1e-12) && d <= high, `step ${n}: ${d} not in [${low}, ${high}]`);
          }
        },
      ),
    );
  });
});
