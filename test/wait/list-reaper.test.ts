import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { codeName } from '../../src/wire/code.ts';
import { count, createUnder, run, settle, startFleet, waitAll } from './fleet-helpers.ts';

const P = 'projects/p/locations/l';
const EMPTY = 'google.protobuf.Empty';

describe('list reaping (rule 13) over gRPC', () => {
  it('replaces the GetOperation polls of 8+ waits of one parent by one ListOperations a tick; a missing one is fetched once', async () => {
    const fleet = await startFleet();
    const { server } = fleet;
    try {
      const handles = createUnder(fleet, P, 12);
      const waits = waitAll(fleet, handles);
      await settle(fleet);
      assert.deepEqual(
        [server.calls.WaitOperation, server.calls.ListOperations, server.calls.GetOperation],
        [2, 1, 0],
        'two WaitOperations learn that the server lacks it; then one listing serves the first poll of all 12',
      );
      for (const h of handles.slice(0, 3)) h.succeed(EMPTY, {});
      await run(fleet, 1000);
      assert.equal(count(waits.settled), 3);
      assert.deepEqual(
        [server.calls.ListOperations, server.calls.GetOperation],
        [2, 3],
        'each completed one fetched once',
      );
      await run(fleet, 1000);
      assert.deepEqual(
        [server.calls.ListOperations, server.calls.GetOperation],
        [3, 3],
        'a tick with no news: one call',
      );
      for (const h of handles.slice(3)) h.succeed(EMPTY, {});
      await run(fleet, 1000);
      await waits.done;
      assert.equal(count(waits.settled), 12);
      assert.deepEqual([server.calls.ListOperations, server.calls.GetOperation], [4, 12]);
      assert.equal(server.lastHeaders.ListOperations !== undefined, true);
    } finally {
      await fleet.close();
    }
  });

  it('lists the parent with filter done=false and the page size asked for, following page tokens', async () => {
    const fleet = await startFleet({ listPolling: { pageSize: 4 } });
    try {
      const waits = waitAll(fleet, createUnder(fleet, P, 10));
      await settle(fleet);
      assert.equal(fleet.server.calls.ListOperations, 3, '10 running operations in pages of 4');
      assert.equal(fleet.server.calls.GetOperation, 0);
      assert.equal(count(waits.settled), 0);
    } finally {
      await fleet.close();
    }
  });

  it('leaves fewer than minWaits waits of a parent, and names without a parent, to poll on their own', async () => {
    const fleet = await startFleet();
    const { server } = fleet;
    try {
      const few = waitAll(fleet, createUnder(fleet, P, 7));
      const bare = waitAll(
        fleet,
        Array.from({ length: 9 }, (_, i) => server.create({ name: `speech-${i}` })),
      );
      await settle(fleet);
      assert.deepEqual([server.calls.ListOperations, server.calls.GetOperation], [0, 16]);
      await run(fleet, 1000);
      assert.deepEqual([server.calls.ListOperations, server.calls.GetOperation], [0, 32]);
      assert.equal(count(few.settled) + count(bare.settled), 0);
    } finally {
      await fleet.close();
    }
  });

  it('with listPolling false every polling wait makes its own GetOperation', async () => {
    const fleet = await startFleet({ listPolling: false });
    try {
      waitAll(fleet, createUnder(fleet, P, 10));
      await settle(fleet);
      assert.deepEqual([fleet.server.calls.ListOperations, fleet.server.calls.GetOperation], [0, 10]);
    } finally {
      await fleet.close();
    }
  });

  it('concludes completion only from a done snapshot: a missing operation still running (listing lag) stays waited, and polls on its own after two misses', async () => {
    const fleet = await startFleet();
    const { server } = fleet;
    try {
      const handles = createUnder(fleet, P, 9);
      const lagging = handles[0];
      assert.ok(lagging !== undefined);
      server.unlisted.add(lagging.name);
      const waits = waitAll(fleet, handles);
      await settle(fleet);
      assert.deepEqual(
        [server.calls.ListOperations, server.calls.GetOperation],
        [1, 1],
        'missing: fetched once, running',
      );
      await run(fleet, 1000);
      assert.deepEqual([server.calls.ListOperations, server.calls.GetOperation], [2, 2], 'the second miss');
      server.unlisted.delete(lagging.name);
      await run(fleet, 1000);
      assert.deepEqual(
        [server.calls.ListOperations, server.calls.GetOperation],
        [3, 3],
        'on its own now: a GetOperation although the listing shows it',
      );
      assert.equal(count(waits.settled), 0, 'no wait concluded from a missing operation');
      lagging.succeed(EMPTY, {});
      await run(fleet, 1000);
      assert.deepEqual(waits.settled, [true, false, false, false, false, false, false, false, false]);
    } finally {
      await fleet.close();
    }
  });

  for (const code of [
    grpc.status.INVALID_ARGUMENT,
    grpc.status.UNIMPLEMENTED,
    grpc.status.PERMISSION_DENIED,
    grpc.status.NOT_FOUND,
  ]) {
    it(`switches reaping off for the parent when the listing fails with ${codeName(code)}: its waits go back to GetOperation`, async () => {
      const fleet = await startFleet();
      const { server } = fleet;
      try {
        server.inject({ method: 'ListOperations', code });
        const waits = waitAll(fleet, createUnder(fleet, P, 8));
        await settle(fleet);
        assert.deepEqual([server.calls.ListOperations, server.calls.GetOperation], [1, 8]);
        await run(fleet, 1000);
        assert.deepEqual(
          [server.calls.ListOperations, server.calls.GetOperation],
          [1, 16],
          'no listing again',
        );
        assert.equal(waits.errors.length, 0, 'no wait failed');
        assert.match(fleet.client.listReapingOff.get(P) ?? '', /ListOperations failed/);
      } finally {
        await fleet.close();
      }
    });
  }

  it('switches reaping off when the listing shows done operations although asked for done=false (the filter is ignored)', async () => {
    const fleet = await startFleet();
    const { server } = fleet;
    try {
      server.ignoresFilter = true;
      const handles = createUnder(fleet, P, 10);
      const waits = waitAll(fleet, handles);
      await settle(fleet);
      assert.deepEqual(
        [server.calls.ListOperations, server.calls.GetOperation],
        [1, 0],
        'nothing done yet: undetectable',
      );
      handles[0]?.succeed(EMPTY, {});
      await run(fleet, 1000);
      assert.equal(waits.settled[0], true, 'the listed done operation ends its wait without a GetOperation');
      assert.deepEqual(
        [server.calls.ListOperations, server.calls.GetOperation],
        [2, 9],
        'the rest fetch on their own',
      );
      await run(fleet, 1000);
      assert.deepEqual([server.calls.ListOperations, server.calls.GetOperation], [2, 18]);
      assert.match(fleet.client.listReapingOff.get(P) ?? '', /filter is ignored/);
    } finally {
      await fleet.close();
    }
  });

  it('switches reaping off when the running set needs more than maxPages pages', async () => {
    const fleet = await startFleet({ listPolling: { pageSize: 3, maxPages: 2 } });
    const { server } = fleet;
    try {
      waitAll(fleet, createUnder(fleet, P, 8));
      await settle(fleet);
      assert.deepEqual([server.calls.ListOperations, server.calls.GetOperation], [2, 8]);
      assert.match(fleet.client.listReapingOff.get(P) ?? '', /more than maxPages \(2\) pages/);
    } finally {
      await fleet.close();
    }
  });

  it('a listing that fails with UNAVAILABLE fails that tick as a failed poll would; the next tick lists again', async () => {
    const fleet = await startFleet({ callDefaults: { retry: false } });
    const { server } = fleet;
    try {
      const handles = createUnder(fleet, P, 10);
      const retries: number[] = [];
      const waits = waitAll(fleet, handles, {
        onRetry: (_e: unknown, attempt: number) => retries.push(attempt),
      });
      await settle(fleet);
      server.inject({ method: 'ListOperations', code: grpc.status.UNAVAILABLE });
      await run(fleet, 1000);
      assert.equal(retries.length, 10, 'each wait heard of the failed poll');
      handles[0]?.succeed(EMPTY, {});
      await run(fleet, 1000);
      assert.deepEqual([server.calls.ListOperations, server.calls.GetOperation], [3, 1]);
      assert.equal(waits.settled[0], true);
      assert.equal(waits.errors.length, 0);
    } finally {
      await fleet.close();
    }
  });
});
