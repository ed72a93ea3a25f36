import assert from 'node:assert/strict';
import { describe } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';
import { OperationError } from '../../src/wire/errors.ts';
import {
  attemptCounter,
  bounded,
  distribution,
  type ExportResult,
  FAST_POLLING,
  FAST_RETRY,
  insecure,
  RESULT,
  settle,
  since,
} from './helpers.ts';
import { Scenario } from './report.ts';

const WAITS = 1000;
const RATE = 0.5;
const SEED = 20_240_801;
/** Operations finish at seeded random times within this window after the waits start. */
const WINDOW_MS = 1500;
const report = new Scenario(2, 'Fault storm');

describe('fault storm', () => {
  report.test(
    `${WAITS} waits all settle with their own result while ${RATE * 100}% of all RPCs fail UNAVAILABLE (seed ${SEED})`,
    async () => {
      const server = await FakeOperationsServer.start();
      const counter = attemptCounter();
      const client = new OperationsClient({
        address: server.address,
        credentials: insecure,
        polling: FAST_POLLING,
        callDefaults: { retry: FAST_RETRY },
        // The storm's scenario: 64 held waits, the rest polling through the faults.
        maxWaitCalls: 64,
        channelOptions: { interceptors: [counter.interceptor] },
      });
      const timers = new Set<ReturnType<typeof setTimeout>>();
      try {
        const next = seededRandom(SEED);
        const handles = Array.from({ length: WAITS }, (_, i) =>
          server.create({ name: `operations/storm-${i}` }),
        );
        const fails = (i: number): boolean => i % 10 === 7;
        const counts = server.faultRate({ code: grpc.status.UNAVAILABLE, rate: RATE, seed: SEED });
        const started = performance.now();
        const waits = handles.map((h) =>
          settle(
            client.operation<ExportResult>(h.name, { responseType: RESULT }).wait({ timeoutMs: 60_000 }),
          ),
        );
        for (const [i, h] of handles.entries()) {
          const timer = setTimeout(
            () => {
              timers.delete(timer);
              if (fails(i))
                h.fail({ code: grpc.status.FAILED_PRECONDITION, message: `storm job ${i} failed` });
              else h.succeed(RESULT, { uri: `export://storm-${i}`, rowCount: i });
            },
            Math.floor(next() * WINDOW_MS),
          );
          timers.add(timer);
        }
        const results = await bounded(Promise.all(waits), 60_000, `the ${WAITS} waits`);
        const elapsed = since(started);
        let lost = 0;
        const problems: string[] = [];
        for (const [i, r] of results.entries()) {
          const ok = fails(i)
            ? !r.ok && OperationError.is(r.error) && r.error.rawMessage === `storm job ${i} failed`
            : r.ok && r.value.uri === `export://storm-${i}` && r.value.rowCount === String(i);
          if (!ok) {
            lost++;
            problems.push(`wait ${i}: ${r.ok ? JSON.stringify(r.value) : String(r.error)}`);
          }
        }
        const attempts = handles.map((h) => counter.byName.get(h.name) ?? 0);
        const d = distribution(attempts);
        report.input(
          `${WAITS} operations, one wait each (strategy auto, maxWaitCalls 64, polling ${JSON.stringify(FAST_POLLING)}, retry ${JSON.stringify({ ...FAST_RETRY, codes: 'UNAVAILABLE, DEADLINE_EXCEEDED' })})`,
        );
        report.input(
          `Each operation finishes at a seeded random time in [0, ${WINDOW_MS}) ms; ${WAITS / 10} of them fail with FAILED_PRECONDITION, the rest succeed with their own ExportResult`,
        );
        report.fault(
          `server.faultRate({ code: UNAVAILABLE, rate: ${RATE}, seed: ${SEED} }) on every RPC: ${counts.faults} of ${counts.calls} calls failed (${((100 * counts.faults) / Math.max(1, counts.calls)).toFixed(1)}%)`,
        );
        report.outcome(
          `${WAITS - lost} of ${WAITS} waits settled with their own result in ${Math.round(elapsed)} ms; ${lost} lost`,
        );
        report.outcome(
          `Server calls: ${server.calls.WaitOperation} WaitOperation, ${server.calls.GetOperation} GetOperation; peak open WaitOperation calls ${server.peakOpenWaits}`,
        );
        report.table(
          ['RPC attempts per wait', 'mean', 'p50', 'p95', 'max'],
          [['(GetOperation + WaitOperation, retries included)', d.mean, d.p50, d.p95, d.max]],
        );
        report.lost(lost);
        assert.equal(lost, 0, `every wait settles with its own result; ${problems.slice(0, 3).join('; ')}`);
        assert.ok(
          counts.faults >= counts.calls * 0.45 && counts.faults <= counts.calls * 0.55,
          'about half failed',
        );
        assert.ok(server.peakOpenWaits <= 64, `peak open waits ${server.peakOpenWaits}`);
      } finally {
        for (const t of timers) clearTimeout(t);
        client.close();
        await server.stop();
      }
    },
  );
});
