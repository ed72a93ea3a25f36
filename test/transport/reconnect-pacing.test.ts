import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import {
  type PacedConnection,
  RECONNECT_BACKOFF,
  ReconnectPacing,
} from '../../src/transport/reconnect-pacing.ts';

/** A connection opened now under `pacing`, neither retired nor answered. */
const opened = (pacing: ReconnectPacing): PacedConnection => ({
  retired: false,
  answered: false,
  epoch: pacing.epoch,
});

describe('ReconnectPacing', () => {
  it("is grpc-js's connection backoff: 1 s, × 1.6, ±20 % jitter, at most 120 s", () => {
    assert.deepEqual(RECONNECT_BACKOFF, {
      initialDelayMs: 1000,
      multiplier: 1.6,
      maxDelayMs: 120_000,
      jitter: 0.2,
    });
  });

  it('lets connections open freely until a failed attempt, then not before exactly 1000, 1600, 2560 … ms (random 0.5: no jitter)', async () => {
    const clock = new FakeClock(0);
    const pacing = new ReconnectPacing(clock, () => 0.5);
    assert.equal(pacing.mayOpen([opened(pacing), opened(pacing)]), true);
    const delays: number[] = [];
    for (let n = 0; n < 13; n++) {
      const at = clock.now();
      pacing.dropped(opened(pacing));
      const due = pacing.reconnectAt ?? Number.NaN;
      delays.push(Math.round((due - at) * 1e6) / 1e6);
      await clock.advance(due - at - 1);
      assert.equal(pacing.mayOpen([]), false, `attempt ${n}: 1 ms early`);
      await clock.advance(1);
      assert.equal(pacing.mayOpen([]), true, `attempt ${n}: at the delay`);
    }
    assert.deepEqual(
      delays,
      [
        1000, 1600, 2560, 4096, 6553.6, 10485.76, 16777.216, 26843.5456, 42949.67296, 68719.476736,
        109951.162778,
      ].concat([120_000, 120_000]),
    );
  });

  it('draws each delay within ±20 %, never above 120 s', async () => {
    for (const [random, first, last] of [
      [0, 800, 96_000],
      [0.9999999, 1199.99996, 120_000],
    ] as const) {
      const clock = new FakeClock(0);
      const pacing = new ReconnectPacing(clock, () => random);
      const delays: number[] = [];
      for (let n = 0; n < 14; n++) {
        pacing.dropped(opened(pacing));
        const delay = (pacing.reconnectAt ?? Number.NaN) - clock.now();
        delays.push(delay);
        await clock.advance(delay);
      }
      assert.ok(Math.abs((delays[0] ?? 0) - first) < 1e-3, `first ${delays[0]}`);
      assert.equal(delays.at(-1), last);
    }
  });

  it('after a failed attempt allows one unanswered new connection at a time; an answer lifts that and starts the delays over', async () => {
    const clock = new FakeClock(0);
    const pacing = new ReconnectPacing(clock, () => 0.5);
    const old = opened(pacing);
    pacing.dropped(opened(pacing));
    await clock.advance(1000);
    const probe = opened(pacing);
    assert.equal(pacing.mayOpen([old, probe]), false, 'a probe is out, unanswered');
    assert.equal(pacing.mayOpen([old, { ...probe, retired: true }]), true, 'the probe is gone');
    assert.equal(pacing.mayOpen([old]), true, 'connections from before the failure do not hold it up');
    assert.equal(pacing.answered(), true);
    assert.equal(pacing.mayOpen([old, probe]), true);
    assert.equal(pacing.answered(), false, 'nothing left to lift');
    const at = clock.now();
    pacing.dropped(opened(pacing));
    assert.equal(pacing.reconnectAt, at + 1000, 'the delays started over');
  });

  it('counts the drops of connections opened before a failure was counted as that one failure, and never one the server answered on', () => {
    const clock = new FakeClock(0);
    const pacing = new ReconnectPacing(clock, () => 0.5);
    const burst = [opened(pacing), opened(pacing), opened(pacing)];
    for (const c of burst) pacing.dropped(c);
    assert.equal(pacing.reconnectAt, 1000);
    assert.equal(pacing.epoch, 1);
    pacing.dropped({ retired: false, answered: true, epoch: pacing.epoch });
    assert.equal(pacing.epoch, 1, 'a working connection that ended is no failed attempt');
  });
});
