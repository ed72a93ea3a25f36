/**
 * Quota storm (issue 20): 1,000 waits at once against a server without WaitOperation whose
 * operation reads are limited to 20 a second (RESOURCE_EXHAUSTED with RetryInfo,
 * QuotaFailure and ErrorInfo past it, as Google's APIs answer). Every wait must settle with
 * its own outcome; the section reports what the quota cost: calls refused, RPCs per
 * operation and the time to settle, beside the least time the quota allows.
 */
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
  insecure,
  META,
  RESULT,
  settle,
  since,
  totalCalls,
} from './helpers.ts';
import { Scenario } from './report.ts';

const WAITS = 1000;
/** Operation reads (GetOperation, ListOperations, WaitOperation: the fake server's default) admitted a second. */
const QUOTA = 20;
const SEED = 20;
/** Each operation runs MIN_MS plus a seeded random share of SPREAD_MS, reporting progress STEPS times. */
const MIN_MS = 1000;
const SPREAD_MS = 2000;
const STEPS = 5;
/** Every wait must settle within this (the quota alone needs WAITS / QUOTA s to read each result once). */
const SETTLE_BOUND_MS = 200_000;
const PARENT = 'projects/storm/locations/l';
const report = new Scenario(20, 'Quota storm');

/** Every tenth operation fails (its wait must reject with its own OperationError); the rest succeed. */
const fails = (i: number): boolean => i % 10 === 3;

describe('quota storm', () => {
  report.test(
    `${WAITS} waits at once against ${QUOTA} operation reads a second, no WaitOperation: every wait settles with its own outcome`,
    async () => {
      const server = await FakeOperationsServer.start({ supportsWait: false, quota: { perSecond: QUOTA } });
      const counter = attemptCounter();
      // Defaults throughout (polling, retry, and rules 12–13 where the library has them).
      const client = new OperationsClient({
        address: server.address,
        credentials: insecure,
        channelOptions: { interceptors: [counter.interceptor] },
      });
      try {
        const next = seededRandom(SEED);
        const names = Array.from({ length: WAITS }, (_, i) => `${PARENT}/operations/storm-${i}`);
        const started = performance.now();
        const settledAt = new Array<number>(WAITS).fill(Number.NaN);
        for (const [i, name] of names.entries()) {
          server.simulate({
            name,
            durationMs: MIN_MS + Math.floor(next() * SPREAD_MS),
            steps: STEPS,
            metadataType: META,
            responseType: RESULT,
            response: { uri: `export://storm-${i}`, rowCount: i },
            ...(fails(i)
              ? { fail: { code: grpc.status.FAILED_PRECONDITION, message: `storm job ${i} failed` } }
              : {}),
          });
        }
        const waits = names.map((name, i) =>
          settle(
            client
              .operation<ExportResult>(name, { responseType: RESULT, metadataType: META })
              .wait()
              .finally(() => {
                settledAt[i] = since(started);
              }),
          ),
        );
        const results = await bounded(Promise.all(waits), SETTLE_BOUND_MS, `the ${WAITS} waits`);
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
        const calls = totalCalls(server.calls);
        const rejected = server.rejected;
        const byMethod = server.rejectedByMethod;
        const attempts = distribution(names.map((n) => counter.byName.get(n) ?? 0));
        const settle50 = distribution(settledAt).p50;
        const floorS = WAITS / QUOTA;
        report.input(
          `${WAITS} operations named \`${PARENT}/operations/storm-<i>\`, started at once, each a job of ${MIN_MS / 1000}–${(MIN_MS + SPREAD_MS) / 1000} s (seed ${SEED}) reporting progressPercent ${STEPS} times (\`server.simulate\`); ${WAITS / 10} end with FAILED_PRECONDITION, the rest with their own ExportResult`,
        );
        report.input('One `wait()` per operation, all at once, on one client with default options');
        report.fault(
          `The server answers WaitOperation with UNIMPLEMENTED and meters operation reads (GetOperation, ListOperations, WaitOperation together) at ${QUOTA}/s with a burst of ${QUOTA}: past it, RESOURCE_EXHAUSTED with RetryInfo, QuotaFailure and ErrorInfo`,
        );
        report.outcome(
          `${WAITS - lost} of ${WAITS} waits settled with their own outcome; ${lost} lost. Half had settled ${(settle50 / 1000).toFixed(1)} s after the start, all ${(elapsed / 1000).toFixed(1)} s after it; the quota alone needs ${floorS.toFixed(0)} s to admit one read per operation`,
        );
        report.outcome(
          `Server calls: ${server.calls.GetOperation} GetOperation, ${server.calls.ListOperations} ListOperations, ${server.calls.WaitOperation} WaitOperation; refused for quota: ${rejected} (${byMethod.GetOperation} Get, ${byMethod.ListOperations} List, ${byMethod.WaitOperation} Wait)`,
        );
        report.table(
          [
            'waits',
            'results lost',
            'refused / all calls',
            'RPCs per operation',
            'time to settle (all)',
            'least the quota allows',
          ],
          [
            [
              WAITS,
              lost,
              `${rejected} / ${calls} (${((100 * rejected) / Math.max(1, calls)).toFixed(1)} %)`,
              (calls / WAITS).toFixed(2),
              `${(elapsed / 1000).toFixed(1)} s`,
              `${floorS.toFixed(0)} s`,
            ],
          ],
        );
        report.table(
          ['RPC attempts per wait', 'mean', 'p50', 'p95', 'max'],
          [
            [
              '(every Operations RPC naming the operation, refusals included)',
              attempts.mean,
              attempts.p50,
              attempts.p95,
              attempts.max,
            ],
          ],
        );
        report.lost(lost);
        assert.equal(lost, 0, `every wait settles with its own outcome; ${problems.slice(0, 3).join('; ')}`);
      } finally {
        client.close();
        await server.stop();
      }
    },
    { timeout: SETTLE_BOUND_MS + 30_000 },
  );
});
