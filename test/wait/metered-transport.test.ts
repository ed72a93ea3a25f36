import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { seededRandom } from '../../src/testing/seeded-random.ts';
import { count, createUnder, EVERY_SECOND, run, settle, startFleet, waitAll } from './fleet-helpers.ts';

const P = 'projects/p/locations/l';
const EMPTY = 'google.protobuf.Empty';

/** All calls the server received. */
const allCalls = (server: FakeOperationsServer): number =>
  Object.values(server.calls).reduce((a, b) => a + b, 0);

describe('one poll budget per client (rule 12) over gRPC, against a server with a read quota', () => {
  it('a hard cap of the quota keeps 200 polling waits within it: no call refused, no result lost', async () => {
    const clock = new FakeClock(0);
    const fleet = await startFleet(
      { listPolling: false, pollBudget: { perSecond: 20 }, polling: { ...EVERY_SECOND, multiplier: 1.5 } },
      { quota: { perSecond: 20 }, clock },
      clock,
    );
    const { server } = fleet;
    try {
      const handles = createUnder(fleet, P, 200);
      const random = seededRandom(3);
      const doneAt = handles.map(() => 5000 + Math.floor(random() * 10_000));
      const waits = waitAll(fleet, handles, { strategy: 'poll' });
      await settle(fleet);
      for (let t = 0; t < 40_000 && count(waits.settled) < 200; t += 250) {
        for (const [i, h] of handles.entries()) {
          if ((doneAt[i] ?? 0) > t) continue;
          h.succeed(EMPTY, {});
          doneAt[i] = Number.POSITIVE_INFINITY;
        }
        await run(fleet, 250);
      }
      await waits.done;
      assert.equal(count(waits.settled), 200, 'every result arrived');
      assert.equal(waits.errors.length, 0);
      assert.equal(server.rejected, 0, 'no call refused for quota');
    } finally {
      await fleet.close();
    }
  });

  it("'auto' adapts to the quota: after the first burst, 200 polling waits lose no result and few calls are refused", async () => {
    const clock = new FakeClock(0);
    const fleet = await startFleet(
      { listPolling: false, polling: { ...EVERY_SECOND, multiplier: 1.5 } },
      { quota: { perSecond: 20 }, clock },
      clock,
    );
    const { server } = fleet;
    try {
      const handles = createUnder(fleet, P, 200);
      const waits = waitAll(fleet, handles, { strategy: 'poll' });
      await settle(fleet);
      const burst = server.rejected;
      assert.equal(burst, 180, 'the first poll of each wait goes at once: the quota admits 20');
      const callsAfterBurst = allCalls(server);
      await run(fleet, 10_000, 250);
      for (const h of handles) h.succeed(EMPTY, {});
      await run(fleet, 30_000, 250);
      await waits.done;
      assert.equal(count(waits.settled), 200);
      const later = allCalls(server) - callsAfterBurst;
      const refusedLater = server.rejected - burst;
      assert.ok(
        refusedLater / later <= 0.05,
        `${refusedLater} of ${later} calls refused after the first burst`,
      );
    } finally {
      await fleet.close();
    }
  });

  it('a server-requested delay on one poll pauses every poll of the client until then', async () => {
    const fleet = await startFleet({ listPolling: false });
    const { server, client } = fleet;
    try {
      const handles = createUnder(fleet, P, 3);
      waitAll(fleet, handles, { strategy: 'poll' });
      await settle(fleet);
      assert.equal(server.calls.GetOperation, 3);
      server.inject({
        method: 'GetOperation',
        code: grpc.status.UNAVAILABLE,
        details: [server.registry.pack('google.rpc.RetryInfo', { retryDelay: { seconds: 3 } })],
      });
      await run(fleet, 1000);
      assert.equal(server.calls.GetOperation, 4, 'the first poll at 1 s is refused with a 3 s delay');
      await run(fleet, 1000, 100);
      assert.equal(server.calls.GetOperation, 4, 'the other two, due at 1 s, wait for the pause');
      const direct = await client.getOperation(handles[0]?.name ?? '');
      assert.equal(server.calls.GetOperation, 5, 'a direct call is never delayed');
      assert.equal(direct.done, false);
      await run(fleet, 2000, 100);
      assert.equal(
        server.calls.GetOperation,
        8,
        'at 4 s all three poll again (one of them the retry of the refused call)',
      );
    } finally {
      await fleet.close();
    }
  });

  it('direct calls are never delayed while the waits are short of tokens, but count', async () => {
    const clock = new FakeClock(0);
    const fleet = await startFleet(
      { listPolling: false, pollBudget: { perSecond: 1, burst: 1 } },
      { quota: { perSecond: 100 }, clock },
      clock,
    );
    const { server, client } = fleet;
    try {
      const handles = createUnder(fleet, P, 5);
      waitAll(fleet, handles, { strategy: 'poll' });
      await settle(fleet);
      assert.equal(server.calls.GetOperation, 1, 'one token: the other four first polls wait');
      for (const h of handles) await client.getOperation(h.name);
      assert.equal(server.calls.GetOperation, 6, 'five direct calls at once');
      await run(fleet, 1000);
      assert.equal(server.calls.GetOperation, 6, 'the direct calls spent the next second of tokens');
    } finally {
      await fleet.close();
    }
  });
});

describe('the poll budget and list reaping over HTTP/JSON', () => {
  it('serve OperationsRestClient too: one listing a tick for 10 waits of operations/*, and a 429 pauses the polls', async () => {
    const clock = new FakeClock(0);
    const server = await FakeOperationsServer.start({ http: true, clock });
    const client = new OperationsRestClient({ baseUrl: server.httpUrl, clock, polling: EVERY_SECOND });
    const fleet = { server, clock };
    try {
      // The HTTP transport is loaded at the first call: load it before fake time matters.
      await client.listOperations({ name: 'operations' });
      server.resetCounters();
      const handles = Array.from({ length: 10 }, (_, i) => server.create({ name: `operations/rest-${i}` }));
      const settled = handles.map(() => false);
      const waits = handles.map((h, i) =>
        client
          .operation(h.name)
          .wait()
          .then(
            () => {
              settled[i] = true;
            },
            () => {},
          ),
      );
      await settle(fleet);
      assert.deepEqual([server.calls.ListOperations, server.calls.GetOperation], [1, 0]);
      server.quota = { perSecond: 1, burst: 1 };
      await run(fleet, 1000);
      assert.deepEqual([server.calls.ListOperations, server.rejected], [2, 0]);
      for (const h of handles) h.succeed(EMPTY, {});
      // All ten go missing from one listing, which took the second's one token: ten
      // GetOperations at once, all refused (429); from then on the budget keeps to the quota.
      await run(fleet, 1000);
      assert.equal(server.rejected, 10);
      for (let t = 0; t < 30_000 && count(settled) < 10; t += 500) await run(fleet, 500);
      await Promise.all(waits);
      assert.equal(count(settled), 10, 'every result arrived');
      assert.ok(server.rejected <= 14, `${server.rejected} refused in all`);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
