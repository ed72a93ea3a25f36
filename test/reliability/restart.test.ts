import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { OperationStore } from '../../src/testing/operation-store.ts';
import { OperationError } from '../../src/wire/errors.ts';
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
  until,
} from './helpers.ts';
import { Scenario } from './report.ts';

const WAITS = 100;
const DOWN_MS = 2000;
const report = new Scenario(1, 'Server restart mid-wait');

/** Operation i fails (ABORTED) when i is a multiple of 3, else succeeds with its own uri and row count. */
function expected(i: number): { uri: string; rowCount: string } | { code: number; message: string } {
  return i % 3 === 0
    ? { code: 10, message: `job ${i} failed` }
    : { uri: `export://restart-${i}`, rowCount: String(i) };
}

describe('server restart mid-wait', () => {
  report.test(
    `${WAITS} waits in flight survive a ${DOWN_MS} ms stop and a restart on the same port with the same store, each settling with its own result`,
    async () => {
      const store = new OperationStore();
      let server = await FakeOperationsServer.start({ store });
      const { port } = server;
      const counter = attemptCounter();
      const client = new OperationsClient({
        address: server.address,
        credentials: insecure,
        polling: FAST_POLLING,
        // 64 held waits and 36 polling ones: both kinds live through the restart.
        maxWaitCalls: 64,
        channelOptions: { interceptors: [counter.interceptor] },
      });
      try {
        const handles = Array.from({ length: WAITS }, (_, i) =>
          server.create({ name: `operations/restart-${i}` }),
        );
        const complete = (i: number): void => {
          const h = handles[i];
          const want = expected(i);
          if (h === undefined) throw new Error(`no handle ${i}`);
          if ('code' in want) h.fail(want);
          else h.succeed(RESULT, { uri: want.uri, rowCount: Number(want.rowCount) });
        };
        const waits = handles.map((h) =>
          settle(
            client.operation<ExportResult>(h.name, { responseType: RESULT }).wait({ timeoutMs: 30_000 }),
          ),
        );
        await until(
          () => server.openWaits === 64 && server.calls.GetOperation >= WAITS - 64,
          'all waits polling',
        );
        const openAtStop = server.openWaits;
        const before = { ...server.calls };

        await server.stop();
        const downAt = performance.now();
        for (let i = 0; i < WAITS / 2; i++) complete(i);
        await delay(DOWN_MS - since(downAt));
        const attemptsWhileDown = [...counter.byName.values()].reduce((a, b) => a + b, 0);
        server = await FakeOperationsServer.start({ store, port });
        const upAt = performance.now();
        assert.equal(server.port, port);
        for (let i = WAITS / 2; i < WAITS; i++) complete(i);

        const results = await bounded(Promise.all(waits), 20_000, `the ${WAITS} waits`);
        const settledAfterMs = since(upAt);
        let lost = 0;
        let succeeded = 0;
        let failed = 0;
        const problems: string[] = [];
        for (const [i, r] of results.entries()) {
          const want = expected(i);
          const ok =
            'code' in want
              ? !r.ok &&
                OperationError.is(r.error) &&
                r.error.code === want.code &&
                r.error.rawMessage === want.message
              : r.ok && r.value.uri === want.uri && r.value.rowCount === want.rowCount;
          if (!ok) {
            lost++;
            problems.push(`wait ${i}: ${r.ok ? JSON.stringify(r.value) : String(r.error)}`);
          } else if (r.ok) succeeded++;
          else failed++;
        }
        const totalAttempts = [...counter.byName.values()].reduce((a, b) => a + b, 0);
        report.input(
          `${WAITS} operations, one wait each (strategy auto, polling ${JSON.stringify(FAST_POLLING)}, default retry policy, grpc-js default reconnect backoff)`,
        );
        report.input(
          `At the stop: ${openAtStop} WaitOperation calls open, the other ${WAITS - openAtStop} waits polling with GetOperation`,
        );
        report.input(
          `Results: ${WAITS - Math.ceil(WAITS / 3)} distinct ExportResults, ${Math.ceil(WAITS / 3)} distinct ABORTED errors; half completed while the server was down, half after the restart`,
        );
        report.fault(
          `Server stopped (open calls ended abruptly) for ${DOWN_MS} ms, then a new server started on the same port ${port} over the same OperationStore`,
        );
        report.outcome(
          `${succeeded} waits resolved with their own ExportResult, ${failed} rejected with their own OperationError (ABORTED, own message); ${lost} lost or mixed up`,
        );
        report.outcome(`All settled ${Math.round(settledAfterMs)} ms after the restart`);
        report.outcome(
          `RPC attempts: ${before.WaitOperation} WaitOperation + ${before.GetOperation} GetOperation before the stop, ${totalAttempts} in all (${attemptsWhileDown} by the end of the outage)`,
        );
        report.lost(lost);
        assert.equal(lost, 0, `every wait settles with its own result; ${problems.slice(0, 3).join('; ')}`);
        assert.equal(server.openWaits, 0);
      } finally {
        client.close();
        await server.stop();
      }
    },
  );
});
