import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { DEFAULT_POLLING } from '../../src/base/backoff.ts';
import { Deadline } from '../../src/base/deadline.ts';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import type { OperationsTransport } from '../../src/transport/operations-transport.ts';
import { EtaPlanner, MAX_ETA_MISSES, PROGRESS_QUANTUM } from '../../src/wait/eta.ts';
import { MeteredTransport } from '../../src/wait/metered-transport.ts';
import { operationPoller, type WaitStrategy } from '../../src/wait/operation-poller.ts';
import { PollBudget } from '../../src/wait/poll-budget.ts';
import { PollLoop } from '../../src/wait/poll-loop.ts';
import { WaitSupport } from '../../src/wait/wait-support.ts';
import type { RawOperation } from '../../src/wire/types.ts';

/** What the operation looks like at a (fake) time: its progress (if it reports one) and whether it is done. */
type Script = (atMs: number) => { percent: number | undefined; done: boolean };

/** Rule 3's poll times with the default options and no jitter: 0, then 1 s × 1.5^n apart. */
const RULE_3 = [0, 1000, 2500, 4750, 8125, 13187.5, 20781.25, 32171.875, 49257.8125, 74886.71875];

/**
 * Waits on a scripted operation through the real loop (SharedPoll + operationSource) on a
 * FakeClock with the default polling options and no jitter; returns the fake time of
 * every GetOperation, the last one finding the operation done.
 */
async function pollTimes(
  script: Script,
  eta: 'auto' | false,
  strategy: WaitStrategy = 'poll',
): Promise<number[]> {
  const clock = new FakeClock(0);
  const times: number[] = [];
  let latest: RawOperation = { name: 'operations/eta', done: false, metadata: null };
  const transport: OperationsTransport = {
    get: async () => {
      const now = clock.now();
      times.push(now);
      latest = { name: 'operations/eta', done: script(now).done, metadata: null };
      return latest;
    },
    cancel: async () => {},
    delete: async () => {},
    list: async () => ({ operations: [], nextPageToken: '', unreachable: [] }),
  };
  const polling = { ...DEFAULT_POLLING, jitter: 0, eta };
  const source = operationPoller({
    name: 'operations/eta',
    transport: new MeteredTransport(transport, new PollBudget(clock), clock),
    clock,
    polling,
    strategy,
    support: new WaitSupport(64),
    call: {},
    debug: () => {},
    progress: () => script(clock.now()).percent,
  });
  let finished = false;
  const loop = new PollLoop(source, clock, polling, () => {});
  loop.join({
    deadline: Deadline.after(clock, undefined),
    wantsUpdates: false,
    failureBudgetMs: Number.POSITIVE_INFINITY,
    deliver: (raw) => {
      finished = raw.done;
      return raw.done;
    },
    retrying: () => false,
    fail: (error) => assert.fail(`the wait failed: ${error}`),
    timeOut: () => assert.fail('the wait timed out'),
  });
  for (let i = 0; i < 40 && !finished; i++) {
    await clock.untilSleeping();
    await clock.advanceToNext();
  }
  assert.ok(finished, 'the wait did not finish within 40 sleeps');
  assert.equal(clock.pendingSleeps, 0, 'a sleep outlived the wait');
  return times;
}

/** Asserts poll times equal to within float rounding (a planned time is `now + (eta - now)`). */
function assertTimes(actual: readonly number[], expected: readonly number[]): void {
  const close =
    actual.length === expected.length &&
    actual.every((t, i) => Math.abs(t - (expected[i] ?? Number.NaN)) < 1e-6);
  assert.ok(close, `poll times ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

/** Progress rising linearly from 0 at time 0 to 100 at `durationMs`, when the operation is done. */
const linear =
  (durationMs: number): Script =>
  (t) => ({ percent: Math.min(100, (100 * t) / durationMs), done: t >= durationMs });

describe('EtaPlanner', () => {
  it('estimates completion at the slowest steady rate the points allow, from the first point of rising progress', () => {
    const planner = new EtaPlanner(1000);
    planner.observe(1000, 1000, 10);
    assert.equal(planner.estimate(), undefined, 'one point gives no rate');
    planner.observe(3000, 3000, 31);
    assert.equal(planner.estimate(), 3000 + 69 * 100, `a rise of 21 counts as ${21 - PROGRESS_QUANTUM}`);
    planner.observe(4000, 4000, 20);
    assert.equal(planner.estimate(), undefined, 'progress that falls back starts a new run');
    planner.observe(6000, 6000, 41);
    assert.equal(planner.estimate(), 6000 + 59 * 100);
  });

  it('spans from the first poll sent to the last answer received', () => {
    const planner = new EtaPlanner(1000);
    planner.observe(0, 100, 0);
    planner.observe(900, 1000, 21);
    assert.equal(planner.estimate(), 1000 + 79 * 50);
  });

  it('ignores snapshots without a usable percentage, and a rise of no more than the quantum', () => {
    const planner = new EtaPlanner(1000);
    planner.observe(0, 0, 0);
    for (const bad of [undefined, Number.NaN, -1, 101]) planner.observe(500, 500, bad);
    planner.observe(600, 600, PROGRESS_QUANTUM);
    assert.equal(planner.estimate(), undefined);
    planner.observe(1000, 1000, 11);
    assert.equal(planner.estimate(), 1000 + 89 * 100);
  });

  it('returns exactly the drawn backoff delay while it has no estimate', () => {
    const planner = new EtaPlanner(1000);
    let drawn = 0;
    const backoff = (): number => {
      drawn++;
      return 1500;
    };
    planner.observe(0, 0, undefined);
    assert.equal(planner.plan(0, backoff), 1500);
    planner.observe(1500, 1500, 50);
    assert.equal(planner.plan(1500, backoff), 1500);
    assert.equal(drawn, 2, 'one draw per poll');
  });

  it(`stops guiding after ${MAX_ETA_MISSES} early polls that found the operation running`, () => {
    const planner = new EtaPlanner(1000);
    const backoff = (): number => 10_000;
    planner.observe(0, 0, 0);
    planner.observe(1000, 1000, 51);
    assert.equal(planner.plan(1000, backoff), 1000, 'estimate 1980: one initialDelayMs away');
    planner.observe(2000, 2000, 61);
    assert.equal(planner.plan(2000, backoff), 1300, 'estimate 3300: early again');
    assert.equal(planner.misses, 1, 'the poll at 2000 missed');
    planner.observe(3300, 3300, 61);
    assert.equal(planner.plan(3300, backoff), 11_000 - 3300, 'back on the schedule drawn at 1000');
    assert.equal(planner.misses, MAX_ETA_MISSES);
    assert.equal(planner.guiding, false);
  });
});

describe('ETA-guided polling (rule 11), exact poll times on a FakeClock', () => {
  it('polls at the estimated completion of linear progress instead of the next backoff step', async () => {
    // At 13187.5 ms: 65.9375 % (a rise of 64.9375 counted), so 34.0625 % more at that rate.
    const eta = 13_187.5 + (34.0625 * 13_187.5) / 64.9375;
    assertTimes(await pollTimes(linear(20_000), 'auto'), [...RULE_3.slice(0, 6), eta]);
    assertTimes(await pollTimes(linear(20_000), false), RULE_3.slice(0, 7));
  });

  it('never polls sooner than initialDelayMs after the last poll', async () => {
    assertTimes(await pollTimes(linear(1500), 'auto'), [0, 1000, 2000]);
  });

  it('follows rule 3 exactly when the operation reports no progress', async () => {
    const none: Script = (t) => ({ percent: undefined, done: t >= 30_000 });
    assertTimes(await pollTimes(none, 'auto'), RULE_3.slice(0, 8));
    const flat: Script = (t) => ({ percent: 42, done: t >= 30_000 });
    assertTimes(await pollTimes(flat, 'auto'), RULE_3.slice(0, 8));
  });

  it('makes two polls more than rule 3 at most when progress stalls near the end', async () => {
    const stall: Script = (t) => ({ percent: Math.min(90, t / 100), done: t >= 40_000 });
    const early1 = 8125 + (18.75 * 8125) / 80.25; // from (0, 0 %) to (8125, 81.25 %): misses
    const early2 = early1 + (10 * early1) / 89; // from (0, 0 %) to (early1, 90 %): misses; guidance stops
    assertTimes(await pollTimes(stall, 'auto'), [
      ...RULE_3.slice(0, 5),
      early1,
      early2,
      ...RULE_3.slice(5, 9), // the schedule's own polls, where rule 3 has them
    ]);
    assertTimes(await pollTimes(stall, false), RULE_3.slice(0, 9));
  });

  it('makes two polls more than rule 3 at most when progress jumps', async () => {
    const jump: Script = (t) => ({ percent: t < 2000 ? 10 : 90, done: t >= 40_000 });
    // After the second early poll at 4500 the schedule's poll (4750 by rule 3) waits until
    // 5500, initialDelayMs after it; the schedule goes on from there, its steps unchanged.
    const steps = RULE_3.slice(4).map((t, i) => t - (RULE_3[i + 3] ?? 0));
    const shifted = [5500];
    for (const step of steps) shifted.push((shifted.at(-1) ?? 0) + step);
    assertTimes(await pollTimes(jump, 'auto'), [0, 1000, 2500, 3500, 4500, ...shifted.slice(0, 6)]);
  });

  it('never polls two times closer than initialDelayMs, whatever planned the poll (issue 22 point 6)', async () => {
    const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] ?? 0));
    const zeroThenHundred: Script = (t) => ({ percent: t < 1000 ? 0 : 100, done: t >= 30_000 });
    const aimedJustBefore: Script = (t) => ({ percent: Math.min(99, (t / 4749) * 100), done: t >= 30_000 });
    const fallsBack: Script = (t) => ({ percent: t < 2000 ? t / 50 : 5, done: t >= 30_000 });
    for (const script of [zeroThenHundred, aimedJustBefore, fallsBack]) {
      const times = await pollTimes(script, 'auto');
      assert.ok(
        gaps(times).every((gap) => gap >= 1000 - 1e-9),
        `gaps ${gaps(times).join(', ')} at ${times.join(', ')}`,
      );
    }
  });

  it('starts a new estimate when progress falls back, and polls at its completion', async () => {
    const fallBack: Script = (t) => ({
      percent: t < 4000 ? t / 100 : (t - 4000) / 400,
      done: t >= 44_000,
    });
    // The new run starts at (4750, 1.875 %); at 32171.875 ms it is at 70.4296875 %.
    const last = RULE_3[7] ?? 0;
    const eta = last + ((100 - 70.4296875) * (last - 4750)) / (70.4296875 - 1.875 - PROGRESS_QUANTUM);
    assertTimes(await pollTimes(fallBack, 'auto'), [...RULE_3.slice(0, 8), eta]);
    assertTimes(await pollTimes(fallBack, false), RULE_3.slice(0, 9));
  });

  it('guides auto once the server lacks WaitOperation (a transport without it here)', async () => {
    const eta = 13_187.5 + (34.0625 * 13_187.5) / 64.9375;
    assertTimes(await pollTimes(linear(20_000), 'auto', 'auto'), [...RULE_3.slice(0, 6), eta]);
  });

  it('reads progress through the handle over gRPC: an auto wait on a server without WaitOperation', async () => {
    const server = await FakeOperationsServer.start({ supportsWait: false });
    const clock = new FakeClock(0);
    const client = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
      clock,
      polling: { jitter: 0 },
    });
    try {
      const type = 'longrunning.demo.v1.ExportMetadata';
      const h = server.create({ metadataType: type, metadata: { progressPercent: 0 } });
      const times: number[] = [];
      const waiting = client.operation(h.name).wait({ strategy: 'auto' });
      // Before each poll the server's operation is put in the state linear(20 s) gives at its time.
      for (let i = 0; i < 10; i++) {
        const dueAt = clock.now() + (await clock.untilSleeping());
        times.push(dueAt);
        if (dueAt >= 20_000) h.succeed('google.protobuf.Empty', {});
        else h.setMetadata({ progressPercent: Math.floor(dueAt / 200) }); // an int32 field
        await clock.advanceToNext();
        if (dueAt >= 20_000) break;
      }
      await waiting;
      // From (0 ms, 0 %) to (13187.5 ms, 65 %, a rise of 64 counted): 35 % more, before rule 3's 20781.25.
      assertTimes(times, [...RULE_3.slice(1, 6), 13_187.5 + (35 * 13_187.5) / 64]);
      assert.equal(server.calls.WaitOperation, 1, 'one WaitOperation, answered UNIMPLEMENTED');
      assert.equal(server.calls.GetOperation, 7);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
