import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import type { RawOperation } from '../../src/wire/types.ts';
import { RawClient, until } from './raw-client.ts';

const progress = 'google.protobuf.Int32Value';
const result = 'google.protobuf.StringValue';

describe('Operations RPCs of the fake server', () => {
  let server: FakeOperationsServer;
  let client: RawClient;
  const get = (name: string): Promise<RawOperation> => client.call<RawOperation>('GetOperation', { name });

  before(async () => {
    server = await FakeOperationsServer.start();
    client = new RawClient(server.address);
  });

  after(async () => {
    client.close();
    await server.stop();
  });

  describe('GetOperation', () => {
    it('returns the current snapshot exactly as stored', async () => {
      const h = server.create({ metadataType: progress, metadata: { value: 10 } });
      assert.deepEqual(await get(h.name), h.snapshot);
      h.setMetadata({ value: 50 }).succeed(result, { value: 'ok' });
      const op = await get(h.name);
      assert.deepEqual(op, h.snapshot);
      assert.equal(op.done, true);
      assert.deepEqual(server.registry.unpack(op.response ?? { type_url: '', value: Buffer.alloc(0) }), {
        value: 'ok',
      });
    });

    it('answers NOT_FOUND naming an unknown operation, INVALID_ARGUMENT for an empty name', async () => {
      const err = await client.error('GetOperation', { name: 'operations/missing' });
      assert.equal(err.code, grpc.status.NOT_FOUND);
      assert.match(err.details, /operations\/missing/);
      assert.equal((await client.error('GetOperation', { name: '' })).code, grpc.status.INVALID_ARGUMENT);
    });
  });

  describe('CancelOperation', () => {
    it('marks a running operation done with CANCELLED and answers Empty', async () => {
      const h = server.create();
      assert.deepEqual(await client.call('CancelOperation', { name: h.name }), {});
      const op = await get(h.name);
      assert.equal(op.done, true);
      assert.equal(op.error?.code, grpc.status.CANCELLED);
      assert.equal(op.error?.message, 'operation cancelled');
    });

    it('leaves a done operation unchanged and answers OK', async () => {
      const h = server.create().succeed(result, { value: 'kept' });
      const before = h.snapshot;
      await client.call('CancelOperation', { name: h.name });
      assert.equal(h.snapshot, before);
    });

    it('answers NOT_FOUND for an unknown operation', async () => {
      const err = await client.error('CancelOperation', { name: 'operations/missing' });
      assert.equal(err.code, grpc.status.NOT_FOUND);
    });
  });

  describe('DeleteOperation', () => {
    it('removes the operation and answers Empty; then NOT_FOUND', async () => {
      const h = server.create();
      assert.deepEqual(await client.call('DeleteOperation', { name: h.name }), {});
      assert.equal(server.store.has(h.name), false);
      assert.throws(() => h.snapshot, /was deleted/);
      assert.equal((await client.error('GetOperation', { name: h.name })).code, grpc.status.NOT_FOUND);
      assert.equal((await client.error('DeleteOperation', { name: h.name })).code, grpc.status.NOT_FOUND);
    });
  });

  describe('WaitOperation', () => {
    it('answers a wait with no timeout when the operation is done, not at a metadata change', async () => {
      const h = server.create({ metadataType: progress, metadata: { value: 0 } });
      let settled = false;
      const wait = client.call<RawOperation>('WaitOperation', { name: h.name }).finally(() => {
        settled = true;
      });
      await until(() => server.openWaits === 1);
      h.setMetadata({ value: 1 });
      await get(h.name); // a full round trip later, the wait is still held
      assert.equal(settled, false, 'answered before the operation was done');
      h.succeed(result, { value: 'done' });
      const op = await wait;
      assert.equal(op.done, true);
      assert.deepEqual(op, h.snapshot);
      assert.equal(server.openWaits, 0);
      assert.equal(server.store.listenerCount(h.name), 0);
    });

    it('answers with the current snapshot when its timeout passes first, on the server clock', async () => {
      const clock = new FakeClock(0);
      const timed = await FakeOperationsServer.start({ clock });
      const raw = new RawClient(timed.address);
      try {
        const h = timed.create({ metadataType: progress, metadata: { value: 1 } });
        let settled = false;
        const wait = raw
          .call<RawOperation>('WaitOperation', { name: h.name, timeout: { seconds: 0, nanos: 50_000_000 } })
          .finally(() => {
            settled = true;
          });
        assert.equal(await clock.untilSleeping(), 50, 'the wait is held for its timeout');
        await clock.advance(49);
        assert.equal(settled, false, 'answered before its timeout');
        await clock.advance(1);
        const op = await wait;
        assert.equal(op.done, false);
        assert.deepEqual(op, h.snapshot);
        assert.equal(timed.store.listenerCount(h.name), 0);
        assert.equal(clock.pendingSleeps, 0);
      } finally {
        raw.close();
        await timed.stop();
      }
    });

    it('answers at once for a done operation or a zero timeout', async () => {
      const done = server.create().succeed(result, { value: 'x' });
      assert.equal((await client.call<RawOperation>('WaitOperation', { name: done.name })).done, true);
      const running = server.create();
      const op = await client.call<RawOperation>('WaitOperation', { name: running.name, timeout: {} });
      assert.equal(op.done, false);
    });

    it('answers NOT_FOUND for an unknown operation and for one deleted during the wait', async () => {
      const err = await client.error('WaitOperation', { name: 'operations/missing' });
      assert.equal(err.code, grpc.status.NOT_FOUND);
      const h = server.create();
      const wait = client.error('WaitOperation', { name: h.name });
      await until(() => server.openWaits === 1);
      server.store.delete(h.name);
      assert.equal((await wait).code, grpc.status.NOT_FOUND);
    });

    it('tracks open and peak waits, and releases a wait the client cancels', async () => {
      server.resetCounters();
      const h = server.create();
      const waits = [1, 2, 3].map(() => client.start('WaitOperation', { name: h.name }));
      await until(() => server.openWaits === 3);
      waits[0]?.call.cancel();
      await assert.rejects(waits[0]?.result ?? Promise.resolve(), { code: grpc.status.CANCELLED });
      await until(() => server.openWaits === 2);
      assert.equal(server.store.listenerCount(h.name), 2);
      h.succeed(result, { value: 'v' });
      await Promise.all(waits.slice(1).map((w) => w.result));
      assert.equal(server.openWaits, 0);
      assert.equal(server.peakOpenWaits, 3);
      assert.equal(server.calls.WaitOperation, 3);
      assert.equal(server.store.listenerCount(h.name), 0);
    });

    it('releases a wait whose client deadline passes', async () => {
      const h = server.create();
      const err = await client.error('WaitOperation', { name: h.name }, { deadline: Date.now() + 50 });
      assert.equal(err.code, grpc.status.DEADLINE_EXCEEDED);
      await until(() => server.openWaits === 0);
      assert.equal(server.store.listenerCount(h.name), 0);
    });

    it('answers UNIMPLEMENTED, still counted, when the server does not support it', async () => {
      const noWait = await FakeOperationsServer.start({ supportsWait: false });
      const raw = new RawClient(noWait.address);
      try {
        const h = noWait.create();
        const err = await raw.error('WaitOperation', { name: h.name });
        assert.equal(err.code, grpc.status.UNIMPLEMENTED);
        assert.equal(noWait.calls.WaitOperation, 1);
        assert.equal(noWait.openWaits, 0);
      } finally {
        raw.close();
        await noWait.stop();
      }
    });
  });
});
