import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deadline, MAX_DEADLINE_MS } from '../../src/base/deadline.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';

describe('Deadline', () => {
  it('without timeoutMs has Infinity left, never expires and leaves delays alone', async () => {
    const clock = new FakeClock(100);
    const d = Deadline.after(clock, undefined);
    await clock.advance(1e12);
    assert.equal(d.timeoutMs, undefined);
    assert.equal(d.remainingMs(), Number.POSITIVE_INFINITY);
    assert.equal(d.expired(), false);
    assert.equal(d.clamp(5000), 5000);
    assert.equal(d.elapsedMs(), 1e12);
  });

  it('counts down on its clock, expires exactly at the deadline and never goes negative', async () => {
    const clock = new FakeClock(1000);
    const d = Deadline.after(clock, 300);
    assert.equal(d.timeoutMs, 300);
    assert.equal(d.remainingMs(), 300);
    await clock.advance(299);
    assert.equal(d.remainingMs(), 1);
    assert.equal(d.expired(), false);
    await clock.advance(1);
    assert.equal(d.remainingMs(), 0);
    assert.equal(d.expired(), true);
    await clock.advance(50);
    assert.equal(d.remainingMs(), 0);
    assert.equal(d.elapsedMs(), 350);
  });

  it('clamps a delay to the time left', async () => {
    const clock = new FakeClock();
    const d = Deadline.after(clock, 1000);
    assert.equal(d.clamp(400), 400);
    await clock.advance(800);
    assert.equal(d.clamp(400), 200);
    await clock.advance(500);
    assert.equal(d.clamp(400), 0);
  });

  it('is expired at once with a timeoutMs of 0', () => {
    const d = Deadline.after(new FakeClock(), 0);
    assert.equal(d.expired(), true);
    assert.equal(d.clamp(10), 0);
  });

  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects timeoutMs ${bad} with a RangeError naming the option and value`, () => {
      assert.throws(() => Deadline.after(new FakeClock(), bad), {
        name: 'RangeError',
        message: `timeoutMs must be a finite number >= 0 (got ${bad})`,
      });
    });
  }

  it('keeps a timeout up to MAX_DEADLINE_MS (99,999,999 h, what a grpc-timeout header holds) as a deadline', async () => {
    assert.equal(MAX_DEADLINE_MS, 99_999_999 * 3_600_000);
    const clock = new FakeClock(0);
    const d = Deadline.after(clock, MAX_DEADLINE_MS);
    assert.equal(d.timeoutMs, MAX_DEADLINE_MS);
    await clock.advance(1000);
    assert.equal(d.remainingMs(), MAX_DEADLINE_MS - 1000);
  });

  for (const huge of [MAX_DEADLINE_MS + 1, 4e14, 1e15, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE]) {
    it(`treats a finite timeoutMs of ${huge}, past MAX_DEADLINE_MS, as no deadline`, async () => {
      const clock = new FakeClock(0);
      const d = Deadline.after(clock, huge);
      assert.equal(d.timeoutMs, undefined);
      assert.equal(d.remainingMs(), Number.POSITIVE_INFINITY);
      await clock.advance(1e12);
      assert.equal(d.expired(), false);
      assert.equal(d.clamp(5000), 5000);
    });
  }

  it('names a custom option in its errors', () => {
    assert.throws(() => Deadline.after(new FakeClock(), -5, 'waitOptions.timeoutMs'), {
      name: 'RangeError',
      message: 'waitOptions.timeoutMs must be a finite number >= 0 (got -5)',
    });
  });

  it('rejects a non-number with a TypeError naming the option', () => {
    const fromJs: unknown = '100';
    assert.throws(() => Deadline.after(new FakeClock(), fromJs as number), {
      name: 'TypeError',
      message: 'timeoutMs must be a number (got string)',
    });
  });
});
