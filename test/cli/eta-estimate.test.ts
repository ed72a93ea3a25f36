/** The ETA of a row: time left from the progress seen over time, counting down between snapshots. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EtaEstimate } from '../../src/cli/eta-estimate.ts';

describe('EtaEstimate', () => {
  it('has no estimate before progress has risen over a span of time', () => {
    const eta = new EtaEstimate();
    assert.equal(eta.remainingMs(0), undefined);
    eta.observe(1000, 40);
    assert.equal(eta.remainingMs(1000), undefined, 'one point');
    eta.observe(1000, 50);
    assert.equal(eta.remainingMs(1000), undefined, 'no time passed');
    const flat = new EtaEstimate();
    flat.observe(0, 30);
    flat.observe(5000, 30);
    assert.equal(flat.remainingMs(5000), undefined, 'no rise');
  });

  it('continues the run at its rate from the latest point, and counts down between snapshots', () => {
    const eta = new EtaEstimate();
    eta.observe(0, 20);
    eta.observe(4000, 40); // 5 % a second: 60 % left is 12 s
    assert.equal(eta.completionAt(), 16_000);
    assert.equal(eta.remainingMs(4000), 12_000);
    assert.equal(eta.remainingMs(10_000), 6000);
    assert.equal(eta.remainingMs(20_000), 0, 'never below 0');
  });

  it('slows down when progress stalls, and starts a new run when it falls back', () => {
    const eta = new EtaEstimate();
    eta.observe(0, 20);
    eta.observe(4000, 40);
    eta.observe(8000, 40); // 20 % in 8 s: 60 % left is 24 s
    assert.equal(eta.remainingMs(8000), 24_000);
    eta.observe(9000, 10); // fell back: a new run of one point
    assert.equal(eta.remainingMs(9000), undefined);
    eta.observe(10_000, 30); // 20 % a second
    assert.equal(eta.remainingMs(10_000), 3500);
  });

  it('says 0 left at 100%, and ignores undefined, NaN and out-of-range progress', () => {
    const eta = new EtaEstimate();
    eta.observe(0, 10);
    for (const p of [undefined, Number.NaN, -1, 101]) eta.observe(500, p);
    eta.observe(1000, 20);
    assert.equal(eta.remainingMs(1000), 8000);
    eta.observe(3000, 100);
    assert.equal(eta.completionAt(), 3000);
    assert.equal(eta.remainingMs(3000), 0);
  });
});
