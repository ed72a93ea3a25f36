import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { FINAL_POLL_TIMEOUT_MS, type WaitStrategy } from '../../src/wait/operation-poller.ts';
import { TimeoutError } from '../../src/wire/errors.ts';
import {
  attemptCounter,
  bounded,
  type ExportResult,
  FAST_POLLING,
  insecure,
  RESULT,
  settle,
  since,
  until,
} from './helpers.ts';
import { Scenario } from './report.ts';

const LATENCY_MS = 300;
const RPC_TIMEOUT_MS = 100;
const WAIT_TIMEOUT_MS = 1000;
/**
 * Room for a late timer or a descheduled process between the library's reading of its
 * clock and grpc-js's, in the check of each RPC's deadline: far below the 60 s default
 * per-RPC timeout that an RPC not bounded by the wait's deadline would get.
 */
const DEADLINE_SLACK_MS = 2000;
/** A wait that has not settled this long after its timeoutMs hangs (a guard, not a measure). */
const HANG_GUARD_MS = 15_000;
const STRATEGIES: WaitStrategy[] = ['auto', 'wait', 'poll'];
const report = new Scenario(3, 'Slow server');

describe('slow server', () => {
  let server: FakeOperationsServer;
  const clients: OperationsClient[] = [];
  const rows: (string | number)[][] = [];
  const counter = attemptCounter();
  /** Each RPC attempt's grpc-js deadline and when it started (Date.now() ms), per client. */
  const attemptsOf = new Map<OperationsClient, { startedAt: number; deadline: number }[]>();
  const makeClient = (rpcTimeoutMs: number | undefined): OperationsClient => {
    const attempts: { startedAt: number; deadline: number }[] = [];
    const recordDeadline: grpc.Interceptor = (options, nextCall) => {
      attempts.push({ startedAt: Date.now(), deadline: Number(options.deadline) });
      return new grpc.InterceptingCall(nextCall(options));
    };
    const client = new OperationsClient({
      address: server.address,
      credentials: insecure,
      polling: FAST_POLLING,
      channelOptions: { interceptors: [counter.interceptor, recordDeadline] },
      ...(rpcTimeoutMs === undefined ? {} : { callDefaults: { timeoutMs: rpcTimeoutMs } }),
    });
    clients.push(client);
    attemptsOf.set(client, attempts);
    return client;
  };

  before(async () => {
    server = await FakeOperationsServer.start();
    report.fault(`server.latencyMs = ${LATENCY_MS} on every RPC`);
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
    report.table(
      [
        'strategy',
        'per-RPC timeout',
        'wait timeoutMs',
        'rejected after (ms)',
        'late by (ms)',
        'RPC attempts',
      ],
      rows,
    );
  });

  /**
   * Waits on a running operation with `timeoutMs`; asserts a TimeoutError, not before
   * timeoutMs, and that no RPC attempt was given a deadline past the wait's (plus the final
   * poll's FINAL_POLL_TIMEOUT_MS). How late the error came is measured for the report only:
   * on a loaded machine it says more about the machine than about the library (the exact
   * times are asserted with a FakeClock in test/wait/poll-loop.test.ts and
   * operation-poller.test.ts).
   */
  async function timesOut(strategy: WaitStrategy, rpcTimeoutMs: number | undefined): Promise<void> {
    server.latencyMs = LATENCY_MS;
    const client = makeClient(rpcTimeoutMs);
    const h = server.create();
    const started = performance.now();
    const outcome = await bounded(
      settle(client.operation(h.name).wait({ strategy, timeoutMs: WAIT_TIMEOUT_MS })),
      WAIT_TIMEOUT_MS + HANG_GUARD_MS,
      `wait (${strategy})`,
    );
    const elapsed = since(started);
    const attempts = counter.byName.get(h.name) ?? 0;
    rows.push([
      strategy,
      rpcTimeoutMs === undefined ? 'default (60 s)' : `${rpcTimeoutMs} ms`,
      WAIT_TIMEOUT_MS,
      Math.round(elapsed),
      Math.round(elapsed - WAIT_TIMEOUT_MS),
      attempts,
    ]);
    const timedOut = !outcome.ok && TimeoutError.is(outcome.error);
    if (!timedOut) report.lost(1);
    assert.ok(timedOut, `expected a TimeoutError, got ${outcome.ok ? 'a value' : String(outcome.error)}`);
    assert.ok(elapsed >= WAIT_TIMEOUT_MS - 1, `rejected early, after ${elapsed.toFixed(1)} ms`);
    // The wait's deadline is at most timeoutMs after its first attempt started.
    const recorded = attemptsOf.get(client) ?? [];
    const first = recorded[0];
    assert.ok(first !== undefined, 'no RPC attempt was made');
    const latest = first.startedAt + WAIT_TIMEOUT_MS + FINAL_POLL_TIMEOUT_MS + DEADLINE_SLACK_MS;
    for (const [i, { deadline }] of recorded.entries()) {
      assert.ok(
        deadline <= latest,
        `${strategy}: attempt ${i + 1} of ${recorded.length} had a deadline ${Math.round(deadline - first.startedAt)} ms after the first attempt, past the wait's ${WAIT_TIMEOUT_MS} ms`,
      );
    }
  }

  for (const strategy of STRATEGIES) {
    report.test(
      `${strategy}: latency ${LATENCY_MS} ms above the per-RPC timeout ${RPC_TIMEOUT_MS} ms; each DEADLINE_EXCEEDED poll is retried and timeoutMs ${WAIT_TIMEOUT_MS} is honoured: no RPC deadline past it`,
      async () => {
        await timesOut(strategy, RPC_TIMEOUT_MS);
        const attempts = Number(rows.at(-1)?.[5]);
        assert.ok(attempts >= 2, `DEADLINE_EXCEEDED polls are retried (${attempts} attempts)`);
      },
    );
  }

  for (const strategy of STRATEGIES) {
    report.test(
      `${strategy}: latency ${LATENCY_MS} ms with no per-RPC timeout; each RPC's deadline is clamped to the time left, so timeoutMs ${WAIT_TIMEOUT_MS} is honoured`,
      () => timesOut(strategy, undefined),
    );
  }

  report.test(
    `a wait whose polls hit DEADLINE_EXCEEDED resolves once the server answers in time again`,
    async () => {
      server.latencyMs = LATENCY_MS;
      const client = makeClient(RPC_TIMEOUT_MS);
      const h = server.create();
      h.succeed(RESULT, { uri: 'export://slow', rowCount: 1 });
      const waiting = settle(client.operation<ExportResult>(h.name).wait({ timeoutMs: 30_000 }));
      // The operation is done, so a second attempt means the first ended DEADLINE_EXCEEDED
      // (latency above the per-RPC timeout) and was retried.
      await until(() => (counter.byName.get(h.name) ?? 0) >= 2, 'a second attempt', HANG_GUARD_MS);
      const failedAttempts = counter.byName.get(h.name) ?? 0;
      server.latencyMs = 0;
      const outcome = await bounded(waiting, HANG_GUARD_MS, 'the wait');
      if (!outcome.ok) report.lost(1);
      assert.ok(outcome.ok, `expected the result, got ${outcome.ok ? '' : String(outcome.error)}`);
      assert.equal(outcome.value.uri, 'export://slow');
      report.outcome(
        `A done operation behind latency ${LATENCY_MS} ms > per-RPC timeout ${RPC_TIMEOUT_MS} ms: ${failedAttempts} attempts made (each but the last ended DEADLINE_EXCEEDED), then (latency 0) the wait resolved with the result`,
      );
    },
  );

  before(() => {
    report.input(
      `Waits with timeoutMs ${WAIT_TIMEOUT_MS} on a running operation, strategies ${STRATEGIES.join(', ')}, per-RPC timeout ${RPC_TIMEOUT_MS} ms or the default; polling ${JSON.stringify(FAST_POLLING)}`,
    );
    report.input('A done operation behind the slow server, waited on until latency drops to 0');
  });
  after(() => {
    const late = rows.map((r) => Number(r[4]));
    report.outcome(
      `${rows.length} waits on a running operation: each rejected with TimeoutError, at most ${Math.max(...late)} ms after timeoutMs (measured on this machine, not asserted); no RPC deadline past the wait's`,
    );
  });
});
