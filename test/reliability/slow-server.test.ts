import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { TimeoutError } from '../../src/errors.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import type { WaitStrategy } from '../../src/wait/operation-poller.ts';
import {
  attemptCounter,
  bounded,
  delay,
  type ExportResult,
  FAST_POLLING,
  insecure,
  RESULT,
  settle,
  since,
} from './helpers.ts';
import { Scenario } from './report.ts';

const LATENCY_MS = 300;
const RPC_TIMEOUT_MS = 100;
const WAIT_TIMEOUT_MS = 1000;
/** How late a TimeoutError may come after `timeoutMs` (issue 8). */
const TOLERANCE_MS = 50;
const STRATEGIES: WaitStrategy[] = ['auto', 'wait', 'poll'];
const report = new Scenario(3, 'Slow server');

describe('slow server', () => {
  let server: FakeOperationsServer;
  const clients: OperationsClient[] = [];
  const rows: (string | number)[][] = [];
  const counter = attemptCounter();
  const makeClient = (rpcTimeoutMs: number | undefined): OperationsClient => {
    const client = new OperationsClient({
      address: server.address,
      credentials: insecure,
      polling: FAST_POLLING,
      channelOptions: { interceptors: [counter.interceptor] },
      ...(rpcTimeoutMs === undefined ? {} : { callDefaults: { timeoutMs: rpcTimeoutMs } }),
    });
    clients.push(client);
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

  /** Waits on a running operation with `timeoutMs`; asserts a TimeoutError within the tolerance. */
  async function timesOut(strategy: WaitStrategy, rpcTimeoutMs: number | undefined): Promise<void> {
    server.latencyMs = LATENCY_MS;
    const client = makeClient(rpcTimeoutMs);
    const h = server.create();
    const started = performance.now();
    const outcome = await bounded(
      settle(client.operation(h.name).wait({ strategy, timeoutMs: WAIT_TIMEOUT_MS })),
      WAIT_TIMEOUT_MS + 15_000,
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
    assert.ok(
      elapsed <= WAIT_TIMEOUT_MS + TOLERANCE_MS,
      `timeoutMs ${WAIT_TIMEOUT_MS} overshot: rejected after ${elapsed.toFixed(1)} ms (${strategy})`,
    );
  }

  for (const strategy of STRATEGIES) {
    report.test(
      `${strategy}: latency ${LATENCY_MS} ms above the per-RPC timeout ${RPC_TIMEOUT_MS} ms; each DEADLINE_EXCEEDED poll is retried and timeoutMs ${WAIT_TIMEOUT_MS} is honoured within ${TOLERANCE_MS} ms`,
      async () => {
        await timesOut(strategy, RPC_TIMEOUT_MS);
        const attempts = Number(rows.at(-1)?.[5]);
        assert.ok(attempts >= 3, `DEADLINE_EXCEEDED polls are retried (${attempts} attempts)`);
      },
    );
  }

  for (const strategy of STRATEGIES) {
    report.test(
      `${strategy}: latency ${LATENCY_MS} ms with no per-RPC timeout; each RPC's deadline is clamped to the time left, so timeoutMs ${WAIT_TIMEOUT_MS} is honoured within ${TOLERANCE_MS} ms`,
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
      const waiting = settle(client.operation<ExportResult>(h.name).wait({ timeoutMs: 10_000 }));
      await delay(600);
      const failedAttempts = counter.byName.get(h.name) ?? 0;
      server.latencyMs = 0;
      const outcome = await bounded(waiting, 10_000, 'the wait');
      if (!outcome.ok) report.lost(1);
      assert.ok(outcome.ok, `expected the result, got ${outcome.ok ? '' : String(outcome.error)}`);
      assert.equal(outcome.value.uri, 'export://slow');
      assert.ok(failedAttempts >= 2, `${failedAttempts} attempts timed out first`);
      report.outcome(
        `A done operation behind latency ${LATENCY_MS} ms > per-RPC timeout ${RPC_TIMEOUT_MS} ms: ${failedAttempts} attempts ended DEADLINE_EXCEEDED in 600 ms, then (latency 0) the wait resolved with the result`,
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
      `${rows.length} waits on a running operation: each rejected with TimeoutError, at most ${Math.max(...late)} ms after timeoutMs (bound ${TOLERANCE_MS} ms)`,
    );
  });
});
