import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_POLLING } from '../../src/base/backoff.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import type { CallOptions, OperationsTransport } from '../../src/transport/operations-transport.ts';
import { MeteredTransport } from '../../src/wait/metered-transport.ts';
import {
  FINAL_POLL_TIMEOUT_MS,
  operationPoller,
  type WaitStrategy,
} from '../../src/wait/operation-poller.ts';
import { PollBudget } from '../../src/wait/poll-budget.ts';
import { WaitSupport } from '../../src/wait/wait-support.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';
import type { RawOperation } from '../../src/wire/types.ts';

const running: RawOperation = { name: 'operations/x', done: false, metadata: null };

/** A transport whose get and wait fail with `error` (or answer `running`), recording the options of each call. */
function transport(error?: unknown): OperationsTransport & { seen: CallOptions[] } {
  const seen: CallOptions[] = [];
  const answer = async (options: CallOptions): Promise<RawOperation> => {
    seen.push(options);
    if (error !== undefined) throw error;
    return running;
  };
  return {
    seen,
    get: (_name, options) => answer(options),
    wait: (_name, _timeoutMs, options) => answer(options),
    cancel: async () => {},
    delete: async () => {},
    list: async () => ({ operations: [], nextPageToken: '', unreachable: [] }),
  };
}

function source(
  t: OperationsTransport,
  strategy: WaitStrategy,
  call: CallOptions = {},
  extra: { support?: WaitSupport; debug?: (m: string) => void } = {},
) {
  const clock = new FakeClock();
  return operationPoller({
    name: running.name,
    transport: new MeteredTransport(t, new PollBudget(clock), clock),
    clock,
    polling: DEFAULT_POLLING,
    strategy,
    support: extra.support ?? new WaitSupport(64),
    call,
    debug: extra.debug ?? (() => {}),
  });
}

/** A transport whose get and wait answer `raw`. */
function answering(raw: RawOperation): OperationsTransport {
  return { ...transport(), get: async () => raw, wait: async () => raw };
}

describe('operationPoller', () => {
  it('survives a poll the connection ended (CANCELLED it did not ask for, INTERNAL "Received RST_STREAM")', async () => {
    const ended = [
      new RpcError(Code.CANCELLED, 'Call cancelled', [], 'WaitOperation'),
      new RpcError(
        Code.INTERNAL,
        'Received RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2',
        [],
        'WaitOperation',
      ),
    ];
    for (const error of ended) {
      for (const strategy of ['wait', 'poll'] as const) {
        const result = await source(transport(error), strategy).poll(
          1000,
          new AbortController().signal,
          undefined,
        );
        assert.deepEqual(result, { backOff: true, error }, `${error.codeName} via ${strategy}`);
      }
    }
  });

  it('rejects with CANCELLED once its own signal aborted, and with an INTERNAL the server sent', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const cancelled = new RpcError(Code.CANCELLED, 'Call cancelled', [], 'GetOperation');
    await assert.rejects(
      source(transport(cancelled), 'poll').poll(1000, aborted.signal, undefined),
      (e) => e === cancelled,
    );
    const internal = new RpcError(Code.INTERNAL, 'database on fire', [], 'GetOperation');
    await assert.rejects(
      source(transport(internal), 'poll').poll(1000, new AbortController().signal, undefined),
      (e) => e === internal,
    );
  });

  it('bounds the WaitOperation call by the time left plus FINAL_POLL_TIMEOUT_MS, or by the per-RPC timeout when shorter', async () => {
    const signal = new AbortController().signal;
    const t = transport();
    await source(t, 'wait').poll(1000, signal, undefined);
    assert.equal(t.seen[0]?.timeoutMs, 1000 + FINAL_POLL_TIMEOUT_MS);
    await source(t, 'wait').poll(Number.POSITIVE_INFINITY, signal, undefined);
    assert.equal(
      t.seen[1]?.timeoutMs,
      undefined,
      'no deadline of its own: the transport bounds it by its timeout',
    );
    await source(t, 'wait', { timeoutMs: 100 }).poll(1000, signal, undefined);
    assert.equal(t.seen[2]?.timeoutMs, 100);
  });

  it('treats DEADLINE_EXCEEDED of a call the wait deadline cut short as no answer, whatever the retry codes', async () => {
    const signal = new AbortController().signal;
    const late = new RpcError(Code.DEADLINE_EXCEEDED, 'Deadline exceeded', [], 'GetOperation');
    const retry = {
      codes: [Code.UNAVAILABLE],
      maxAttempts: 1,
      initialDelayMs: 1,
      maxDelayMs: 1,
      multiplier: 1,
    };
    for (const strategy of ['wait', 'poll'] as const) {
      const cutByWait = await source(transport(late), strategy, { retry, timeoutMs: 5000 }).poll(
        10,
        signal,
        undefined,
      );
      assert.deepEqual(cutByWait, { backOff: true }, strategy);
      await assert.rejects(
        source(transport(late), strategy, { retry, timeoutMs: 100 }).poll(10_000, signal, undefined),
        (e) => e === late,
        `${strategy}: the per-RPC timeout cut it: an RPC failure`,
      );
    }
  });

  it('rejects a snapshot of another name, or an unnamed one, with RpcError INTERNAL naming both', async () => {
    const signal = new AbortController().signal;
    for (const strategy of ['wait', 'poll'] as const) {
      for (const name of ['operations/someone-elses', '']) {
        await assert.rejects(
          source(answering({ ...running, name }), strategy).poll(1000, signal, undefined),
          (e: unknown) =>
            RpcError.is(e) &&
            e.code === Code.INTERNAL &&
            e.method === (strategy === 'wait' ? 'WaitOperation' : 'GetOperation') &&
            e.message.includes('"operations/x"') &&
            e.message.includes(name === '' ? 'an unnamed operation' : `"${name}"`),
          `${strategy}: ${JSON.stringify(name)}`,
        );
      }
    }
  });

  it('offers a wake-up only after a poll that found no free WaitOperation slot', async () => {
    const signal = new AbortController().signal;
    const support = new WaitSupport(1);
    const { slots } = support;
    const poller = source(transport(), 'auto', {}, { support });
    await poller.poll(1000, signal, undefined);
    assert.equal(poller.wakeUp?.(signal), undefined, 'nothing to wait for: no promise for the sleep to race');
    assert.ok(slots.tryAcquire());
    await poller.poll(1000, signal, undefined);
    const woken = poller.wakeUp?.(signal);
    assert.ok(woken instanceof Promise, 'starved: the sleep ends when the slot frees');
    slots.release();
    await woken;
  });

  it('logs each survived failure with the attempt and the next delay', () => {
    const lines: string[] = [];
    const poller = source(transport(), 'poll', {}, { debug: (m) => lines.push(m) });
    poller.retrying?.(new RpcError(Code.UNAVAILABLE, 'connect ECONNREFUSED', [], 'GetOperation'), 3, 1500.4);
    assert.deepEqual(lines, [
      'poll of operations/x failed (3 in a row), next in 1500 ms: UNAVAILABLE: connect ECONNREFUSED (GetOperation)',
    ]);
  });
});
