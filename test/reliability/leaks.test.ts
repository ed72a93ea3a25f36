import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { after, before, describe } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import {
  bounded,
  delay,
  type ExportResult,
  FAST_POLLING,
  insecure,
  RESULT,
  type ServerProcess,
  settle,
  since,
  startServerProcess,
  until,
} from './helpers.ts';
import { Scenario } from './report.ts';

const WAITS = 10_000;
/** Heap after GC may exceed the baseline by this share at most (issue 8). */
const HEAP_TOLERANCE = 0.1;
const report = new Scenario(5, 'Leaks');

/** Active resources by type (Timeout, TCPSocketWrap, ...). */
function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

function describeResources(counts: Map<string, number>): string {
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/** Resource types whose count is above the baseline's. */
function excess(now: Map<string, number>, baseline: Map<string, number>): string[] {
  return [...now.entries()]
    .filter(([k, v]) => v > (baseline.get(k) ?? 0))
    .map(([k, v]) => `${k} ${v} (baseline ${baseline.get(k) ?? 0})`);
}

/**
 * Heap used after full GCs: the least of 5 readings 100 ms apart, so that buffers grpc-js
 * is still releasing (a connection closing after a burst of cancellations) do not count.
 */
async function collect(): Promise<number> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run with --expose-gc (npm run test:reliability does)');
  let least = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    gc();
    await delay(10);
    gc();
    least = Math.min(least, process.memoryUsage().heapUsed);
    await delay(100);
  }
  return least;
}

describe('leaks', () => {
  let server: ServerProcess;
  let client: OperationsClient;
  const rows: (string | number)[][] = [];
  /** RPC attempts the client has sent. */
  let sent = 0;
  const countSent: grpc.Interceptor = (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      sendMessage(message: unknown, next: (m: unknown) => void) {
        sent++;
        next(message);
      },
    });

  before(async () => {
    server = await startServerProcess(WAITS, 'operations/leak');
    client = new OperationsClient({
      address: server.address,
      credentials: insecure,
      polling: FAST_POLLING,
      channelOptions: { interceptors: [countSent] },
    });
    report.input(
      `Rounds of ${WAITS.toLocaleString('en')} waits (strategy auto: up to 64 WaitOperation calls, the rest GetOperation polling with ${JSON.stringify(FAST_POLLING)}), each with its own AbortController, aborted once every loop has polled; baseline taken after a warm-up round of the same shape, after GC (--expose-gc). The fake server runs in a child process, so the figures are the client's alone`,
    );
    report.fault('Every wait aborted mid-flight: some with an RPC in flight, most in a backoff sleep');
  });
  after(async () => {
    client.close();
    await server.stop();
    report.table(
      [
        'round',
        'waits',
        'RPCs before abort',
        '10,000 abort() calls took (ms)',
        'last rejection after the last abort() (ms)',
        'resources back to baseline after (ms)',
        'heap baseline (MB)',
        'heap after GC (MB)',
        'growth',
      ],
      rows,
    );
  });

  /** Starts `WAITS` waits on `names(i)`, aborts them all, and returns how they settled. */
  async function round(
    names: (i: number) => string,
  ): Promise<{ aborted: number; rpcs: number; abortLoopMs: number; rejectMs: number }> {
    const controllers = Array.from({ length: WAITS }, () => new AbortController());
    const before = sent;
    const waits = controllers.map((c, i) =>
      client
        .operation(names(i))
        .wait({ signal: c.signal })
        .then(
          () => 'resolved',
          (e: unknown) => (e instanceof DOMException && e.name === 'AbortError' ? 'aborted' : String(e)),
        ),
    );
    const loops = new Set(Array.from({ length: WAITS }, (_, i) => names(i))).size;
    await until(() => sent - before >= loops, 'every loop to poll once', 20_000);
    await delay(50);
    const rpcs = sent - before;
    const abortedAt = performance.now();
    for (const c of controllers) c.abort();
    const abortLoopMs = since(abortedAt);
    const outcomes = await bounded(Promise.all(waits), 10_000, 'the aborted waits');
    const rejectMs = since(abortedAt) - abortLoopMs;
    const aborted = outcomes.filter((o) => o === 'aborted').length;
    const other = outcomes.find((o) => o !== 'aborted');
    assert.equal(aborted, WAITS, `every wait rejects with the AbortError (first other outcome: ${other})`);
    return { aborted, rpcs, abortLoopMs, rejectMs };
  }

  for (const [label, pick] of [
    ['distinct names (one loop each)', (i: number) => `operations/leak-${i}`],
    ['one name (one shared loop)', () => 'operations/leak-shared'],
  ] as const) {
    report.test(
      `${WAITS.toLocaleString('en')} waits on ${label}, started then aborted: active handles return to baseline and the heap after GC stays within ${HEAP_TOLERANCE * 100}%`,
      async () => {
        await round(pick); // warm-up: JIT, grpc-js channel and connection
        await client.getOperation(pick(0)); // a connected channel, as after any round
        await delay(100);
        const baseline = resources();
        const heapBefore = await collect();

        const { rpcs, abortLoopMs, rejectMs } = await round(pick);
        const settledAt = performance.now();
        const atSettle = excess(resources(), baseline);
        let left: string[] = [];
        await until(
          () => {
            left = excess(resources(), baseline);
            return left.length === 0;
          },
          'active resources to return to baseline',
          5000,
        ).catch(() => {});
        const resourcesMs = since(settledAt);
        const heapAfter = await collect();
        const growth = (heapAfter - heapBefore) / heapBefore;
        rows.push([
          label,
          WAITS,
          rpcs,
          Math.round(abortLoopMs),
          Math.round(rejectMs),
          left.length === 0 ? Math.round(resourcesMs) : 'never',
          (heapBefore / 2 ** 20).toFixed(1),
          (heapAfter / 2 ** 20).toFixed(1),
          `${(growth * 100).toFixed(1)}%`,
        ]);
        report.outcome(
          `${label}: ${WAITS} of ${WAITS} waits rejected with their AbortError (the abort() calls took ${Math.round(abortLoopMs)} ms, the last rejection came ${Math.round(rejectMs)} ms after the last one); resources above the baseline (${describeResources(baseline)}) when the last wait settled: ${atSettle.join(', ') || 'none'}; back at baseline: ${left.length === 0 ? 'yes' : `no, ${left.join(', ')}`}; heap ${(growth * 100).toFixed(1)}%`,
        );
        assert.deepEqual(left, [], 'no active resource left above the baseline');
        assert.ok(growth <= HEAP_TOLERANCE, `heap grew ${(growth * 100).toFixed(1)}% after GC`);
      },
      { timeout: 90_000 },
    );
  }

  report.test(
    `100 waits on the same client settle with their results while ${WAITS.toLocaleString('en')} others are aborted at once`,
    async () => {
      // The burst of RST_STREAMs trips the server's HTTP/2 rapid-reset guard, which answers
      // with a GOAWAY ending every call of the connection (grpc-js: INTERNAL "Received
      // RST_STREAM with code 2"): the surviving waits must poll on, on a new connection.
      const local = await FakeOperationsServer.start();
      const burstClient = new OperationsClient({
        address: local.address,
        credentials: insecure,
        polling: FAST_POLLING,
      });
      try {
        const kept = Array.from({ length: 100 }, (_, i) => local.create({ name: `operations/kept-${i}` }));
        const doomed = Array.from(
          { length: WAITS },
          (_, i) => local.create({ name: `operations/doomed-${i}` }).name,
        );
        const keptWaits = kept.map((h) =>
          settle(burstClient.operation<ExportResult>(h.name).wait({ timeoutMs: 30_000 })),
        );
        const controller = new AbortController();
        // One signal shared by 10,000 waits (one listener each): tell Node that is intended.
        setMaxListeners(0, controller.signal);
        const doomedWaits = doomed.map((name) =>
          settle(burstClient.operation(name).wait({ signal: controller.signal })),
        );
        await until(
          () => local.calls.GetOperation + local.calls.WaitOperation >= WAITS + 100,
          'every loop to poll once',
          20_000,
        );
        await delay(50);
        controller.abort();
        await bounded(Promise.all(doomedWaits), 10_000, 'the aborted waits');
        await delay(200);
        for (const [i, h] of kept.entries()) h.succeed(RESULT, { uri: `export://kept-${i}`, rowCount: i });
        const outcomes = await bounded(Promise.all(keptWaits), 20_000, 'the kept waits');
        const lost = outcomes.filter((o, i) => !o.ok || o.value.uri !== `export://kept-${i}`);
        report.lost(lost.length);
        report.outcome(
          `${WAITS.toLocaleString('en')} waits aborted at once next to 100 others on the same client: ${100 - lost.length} of the 100 settled with their own result`,
        );
        assert.equal(
          lost.length,
          0,
          `lost: ${lost
            .slice(0, 2)
            .map((o) => (o.ok ? 'wrong value' : String(o.error)))
            .join('; ')}`,
        );
      } finally {
        burstClient.close();
        await local.stop();
      }
    },
    { timeout: 90_000 },
  );
});
