import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import {
  CallPipeline,
  MAX_WAIT_TIMEOUT_MS,
  WAIT_DEADLINE_SLACK_MS,
  waitCallOptions,
  waitRequestTimeoutMs,
} from '../../src/transport/call-pipeline.ts';
import { DEFAULT_RETRY, DEFAULT_RPC_TIMEOUT_MS } from '../../src/transport/operations-transport.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';

describe('CallPipeline', () => {
  it("resolves a call's options over the defaults, headers of the defaults first", () => {
    const signal = new AbortController().signal;
    const pipeline = new CallPipeline(new FakeClock(), {
      timeoutMs: 5_000,
      retry: false,
      signal,
      metadata: { 'x-default': 'd' },
    });
    const resolved = pipeline.resolve({ timeoutMs: 7, metadata: { 'x-call': 'c' } });
    assert.equal(resolved.timeoutMs, 7);
    assert.equal(resolved.retry, false);
    assert.equal(resolved.signal, signal);
    assert.deepEqual(resolved.headers, [{ 'x-default': 'd' }, { 'x-call': 'c' }]);
    const bare = new CallPipeline(new FakeClock(), {}).resolve({});
    assert.equal(bare.timeoutMs, DEFAULT_RPC_TIMEOUT_MS);
    assert.equal(bare.retry, DEFAULT_RETRY);
    assert.deepEqual(bare.headers, []);
  });

  it('retries under the policy with the deadline of the whole call, on the injected clock', async () => {
    const clock = new FakeClock();
    const pipeline = new CallPipeline(clock, {
      retry: {
        codes: [Code.UNAVAILABLE],
        maxAttempts: 3,
        initialDelayMs: 100,
        maxDelayMs: 100,
        multiplier: 1,
      },
    });
    const remaining: number[] = [];
    const pending = pipeline.run({ timeoutMs: 1_000 }, async (attempt) => {
      remaining.push(attempt.deadline.remainingMs());
      if (remaining.length < 3) throw new RpcError(Code.UNAVAILABLE, 'down', [], 'GetOperation');
      return 'ok';
    });
    const first = await clock.untilSleeping();
    await clock.advance(first);
    const second = await clock.untilSleeping();
    await clock.advance(second);
    assert.equal(await pending, 'ok');
    assert.equal(remaining[0], 1_000);
    assert.equal(clock.sleeps.length, 2);
    assert.equal(remaining[2], 1_000 - clock.now(), 'one deadline for every attempt');
    assert.ok(clock.now() >= first + second - 1e-9, 'the third attempt came after both delays');
    assert.ok(first >= 80 && first <= 100, `a delay of 100 ms with jitter, capped: ${first}`);
  });
});

describe('CallPipeline and a delay the server asks for', () => {
  const policy = {
    codes: [Code.UNAVAILABLE],
    maxAttempts: 2,
    initialDelayMs: 100,
    maxDelayMs: 5_000,
    multiplier: 1,
  };
  const refusal = (code: number, retryDelayMs: number) =>
    new RpcError(code, 'slow down', [], 'GetOperation', undefined, undefined, retryDelayMs);

  for (const [what, code] of [
    ['RESOURCE_EXHAUSTED', Code.RESOURCE_EXHAUSTED],
    ['a retried code', Code.UNAVAILABLE],
  ] as const) {
    it(`waits a day-long server delay only up to the policy's maxDelayMs (${what})`, async () => {
      const clock = new FakeClock();
      const pipeline = new CallPipeline(clock, { retry: policy, timeoutMs: 1e9 });
      let attempts = 0;
      const pending = pipeline.run({}, async () => {
        if (++attempts === 1) throw refusal(code, 86_400_000);
        return 'ok';
      });
      await clock.advance(await clock.untilSleeping());
      assert.equal(await pending, 'ok');
      assert.deepEqual(clock.sleeps, [5_000]);
    });
  }
});

describe('waitCallOptions', () => {
  it('bounds a WaitOperation call by its wait plus the slack, and by a shorter timeoutMs', () => {
    assert.equal(WAIT_DEADLINE_SLACK_MS, 10_000);
    assert.equal(waitCallOptions({}, 30_000).timeoutMs, 40_000);
    assert.equal(waitCallOptions({ timeoutMs: 5_000 }, 30_000).timeoutMs, 5_000);
    assert.equal(waitCallOptions({ timeoutMs: 90_000 }, 30_000).timeoutMs, 40_000);
  });
});

describe('waitRequestTimeoutMs', () => {
  it('sends a wait as asked up to the longest Duration (10,000 years), never more, never negative', () => {
    assert.equal(MAX_WAIT_TIMEOUT_MS, 315_576_000_000 * 1000);
    assert.equal(waitRequestTimeoutMs(30_000), 30_000);
    assert.equal(waitRequestTimeoutMs(MAX_WAIT_TIMEOUT_MS), MAX_WAIT_TIMEOUT_MS);
    for (const huge of [1e15, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, Number.POSITIVE_INFINITY]) {
      assert.equal(waitRequestTimeoutMs(huge), MAX_WAIT_TIMEOUT_MS, String(huge));
    }
    assert.equal(waitRequestTimeoutMs(-1), 0);
    assert.equal(waitRequestTimeoutMs(Number.NaN), 0);
  });
});

describe('a call whose timeout is past what a deadline holds', () => {
  it('runs with no deadline: its attempt sees Infinity left, on the injected clock', async () => {
    const clock = new FakeClock(0);
    for (const timeoutMs of [1e15, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE]) {
      for (const [defaults, options] of [
        [{ timeoutMs }, {}],
        [{}, { timeoutMs }],
      ] as const) {
        const left = await new CallPipeline(clock, defaults).run(options, async (a) =>
          a.deadline.remainingMs(),
        );
        assert.equal(left, Number.POSITIVE_INFINITY, String(timeoutMs));
      }
    }
  });
});
