import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { OperationStore } from '../../src/testing/operation-store.ts';
import type { RawOperation } from '../../src/wire/types.ts';
import { activeTimeouts, RawClient, until } from './raw-client.ts';

const progress = 'google.protobuf.Int32Value';
const result = 'google.protobuf.StringValue';

describe('FakeOperationsServer', () => {
  let server: FakeOperationsServer;
  let client: RawClient;
  const get = (name: string, via = client): Promise<RawOperation> =>
    via.call<RawOperation>('GetOperation', { name });

  before(async () => {
    server = await FakeOperationsServer.start();
    client = new RawClient(server.address);
  });

  after(async () => {
    client.close();
    await server.stop();
  });

  afterEach(() => {
    server.latencyMs = 0;
  });

  it('listens on 127.0.0.1 at the port it reports', () => {
    assert.ok(server.port > 0);
    assert.equal(server.address, `127.0.0.1:${server.port}`);
  });

  describe('create() and handles', () => {
    it('generates distinct operations/<id> names', () => {
      const names = new Set([1, 2, 3].map(() => server.create().name));
      assert.equal(names.size, 3);
      for (const name of names) assert.match(name, /^operations\/[0-9a-f]+-\d+$/);
    });

    it('rejects a taken name, metadata without a type, and setMetadata without a type', () => {
      const h = server.create({ name: 'operations/fixed' });
      assert.throws(() => server.create({ name: 'operations/fixed' }), /already exists/);
      assert.throws(() => server.create({ metadata: { value: 1 } }), /without metadataType/);
      assert.throws(() => h.setMetadata({ value: 1 }), /no metadataType/);
      assert.throws(() => h.fail({ code: 0, message: 'ok?' }), RangeError);
    });

    it('fails an operation with its code, message and details', async () => {
      const detail = server.registry.pack('google.rpc.ErrorInfo', { reason: 'R', domain: 'd', metadata: {} });
      const h = server.create().fail({ code: grpc.status.ABORTED, message: 'gave up', details: [detail] });
      const op = await get(h.name);
      assert.equal(h.done, true);
      assert.equal(op.error?.code, grpc.status.ABORTED);
      assert.equal(op.error?.message, 'gave up');
      assert.deepEqual(op.error?.details, [detail]);
      assert.equal(op.response, undefined);
    });

    it('serves hostile raw states as set: no result, error code 0, unknown type, corrupt bytes', async () => {
      const h = server.create();
      const states = [
        { done: true },
        { done: true, error: { code: 0, message: 'not really an error' } },
        { response: { type_url: 'type.googleapis.com/acme.v1.Unknown', value: Buffer.from([8, 1]) } },
        { response: { type_url: `type.googleapis.com/${result}`, value: Buffer.from([0x0a, 0xff]) } },
      ];
      for (const state of states) {
        h.setRaw({ done: false, error: null, response: null }).setRaw(state);
        assert.deepEqual(await get(h.name), h.snapshot, JSON.stringify(state));
      }
      assert.deepEqual((await get(h.name)).response?.value, Buffer.from([0x0a, 0xff]));
    });
  });

  describe('inject()', () => {
    it('fails the next calls in the order injected, counting each on arrival', async () => {
      const h = server.create();
      server.resetCounters();
      server.inject({ method: 'GetOperation', code: grpc.status.UNAVAILABLE, times: 2 });
      server.inject({ method: 'GetOperation', code: grpc.status.INTERNAL, message: 'boom' });
      const codes: [number, string][] = [];
      for (let i = 0; i < 3; i++) {
        const err = await client.error('GetOperation', { name: h.name });
        codes.push([err.code, err.details]);
      }
      assert.deepEqual(codes, [
        [grpc.status.UNAVAILABLE, 'injected UNAVAILABLE'],
        [grpc.status.UNAVAILABLE, 'injected UNAVAILABLE'],
        [grpc.status.INTERNAL, 'boom'],
      ]);
      assert.equal((await get(h.name)).name, h.name);
      assert.equal(server.calls.GetOperation, 4);
      assert.equal(server.calls.ListOperations, 0);
    });

    it('sends details in a grpc-status-details-bin trailer', async () => {
      const retry = server.registry.pack('google.rpc.RetryInfo', { retryDelay: { seconds: 2, nanos: 0 } });
      server.inject({ method: 'ListOperations', code: grpc.status.RESOURCE_EXHAUSTED, details: [retry] });
      const err = await client.error('ListOperations', {});
      const trailer = err.metadata.get('grpc-status-details-bin')[0];
      assert.ok(trailer instanceof Buffer);
      const status = server.registry.decodeStatus(trailer);
      assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(status.message, 'injected RESOURCE_EXHAUSTED');
      assert.deepEqual(server.registry.unpack(status.details[0] ?? retry), {
        retryDelay: { seconds: '2', nanos: 0 },
      });
    });

    it('rejects code 0 and a non-positive times', () => {
      assert.throws(() => server.inject({ method: 'GetOperation', code: 0 }), RangeError);
      assert.throws(() => server.inject({ method: 'GetOperation', code: 14, times: 0 }), RangeError);
    });
  });

  describe('faultRate()', () => {
    it('fails a seeded share of calls, the same calls for the same seed, after queued faults', async () => {
      const h = server.create();
      const outcomes = async (seed: number): Promise<string> => {
        const counts = server.faultRate({
          method: 'GetOperation',
          code: grpc.status.UNAVAILABLE,
          rate: 0.5,
          seed,
        });
        let seen = '';
        for (let i = 0; i < 40; i++) {
          seen += await get(h.name).then(
            () => '.',
            (e: grpc.ServiceError) => (e.code === grpc.status.UNAVAILABLE ? 'x' : '?'),
          );
        }
        assert.equal(counts.calls, 40);
        assert.equal(counts.faults, [...seen].filter((c) => c === 'x').length);
        return seen;
      };
      const first = await outcomes(7);
      assert.equal(await outcomes(7), first, 'same seed, same faults');
      assert.notEqual(await outcomes(8), first, 'another seed, other faults');
      const faults = [...first].filter((c) => c === 'x').length;
      assert.ok(faults > 8 && faults < 32, `${faults} of 40 failed at rate 0.5`);

      server.inject({ method: 'GetOperation', code: grpc.status.INTERNAL });
      server.faultRate({ method: 'GetOperation', code: grpc.status.UNAVAILABLE, rate: 1, seed: 1 });
      assert.equal((await client.error('GetOperation', { name: h.name })).code, grpc.status.INTERNAL);
      assert.equal((await client.error('GetOperation', { name: h.name })).code, grpc.status.UNAVAILABLE);
      server.faultRate({ method: 'GetOperation', code: grpc.status.UNAVAILABLE, rate: 0, seed: 1 });
      assert.equal((await get(h.name)).name, h.name, 'rate 0 removes the rate');
    });

    it('applies a rate without a method to every method without its own', async () => {
      const h = server.create();
      server.faultRate({ code: grpc.status.ABORTED, rate: 1, seed: 3, message: 'storm' });
      server.faultRate({ method: 'GetOperation', code: grpc.status.UNAVAILABLE, rate: 1, seed: 3 });
      const list = await client.error('ListOperations', {});
      assert.deepEqual([list.code, list.details], [grpc.status.ABORTED, 'storm']);
      assert.equal((await client.error('GetOperation', { name: h.name })).code, grpc.status.UNAVAILABLE);
      server.faultRate({ code: grpc.status.ABORTED, rate: 0, seed: 3 });
      server.faultRate({ method: 'GetOperation', code: grpc.status.UNAVAILABLE, rate: 0, seed: 3 });
      assert.equal((await get(h.name)).name, h.name);
    });

    it('rejects code 0, a rate outside [0, 1] and a non-integer seed', () => {
      assert.throws(() => server.faultRate({ code: 0, rate: 0.5, seed: 1 }), RangeError);
      assert.throws(() => server.faultRate({ code: 14, rate: 1.5, seed: 1 }), RangeError);
      assert.throws(() => server.faultRate({ code: 14, rate: Number.NaN, seed: 1 }), RangeError);
      assert.throws(() => server.faultRate({ code: 14, rate: 0.5, seed: 0.5 }), RangeError);
    });
  });

  describe('latencyMs', () => {
    it('holds every answer, faults included, for latencyMs on its clock', async () => {
      const clock = new FakeClock(0);
      const timed = await FakeOperationsServer.start({ clock });
      const raw = new RawClient(timed.address);
      /** Asserts that `call` settles only once the server's clock has moved 30 ms. */
      const heldFor30 = async <T>(call: Promise<T>, what: string): Promise<T> => {
        let settled = false;
        call.then(
          () => (settled = true),
          () => (settled = true),
        );
        assert.equal(await clock.untilSleeping(), 30, `${what}: held for latencyMs on the server's clock`);
        await clock.advance(29);
        assert.equal(settled, false, `${what} came before latencyMs`);
        await clock.advance(1);
        return call;
      };
      try {
        const h = timed.create();
        timed.latencyMs = 30;
        assert.equal((await heldFor30(get(h.name, raw), 'the answer')).name, h.name);
        timed.inject({ method: 'GetOperation', code: grpc.status.UNAVAILABLE });
        const fault = await heldFor30(raw.error('GetOperation', { name: h.name }), 'the fault');
        assert.equal(fault.code, grpc.status.UNAVAILABLE);
        assert.equal(timed.calls.GetOperation, 2);
        assert.equal(clock.now(), 60);
      } finally {
        raw.close();
        await timed.stop();
      }
    });

    it('clears the delay timer of a call the client cancels', async () => {
      const h = server.create();
      server.latencyMs = 10_000;
      const call = client.start('GetOperation', { name: h.name });
      await until(() => server.calls.GetOperation > 0 && activeTimeouts() > 0);
      const timers = activeTimeouts();
      call.call.cancel();
      await assert.rejects(call.result, { code: grpc.status.CANCELLED });
      await until(() => activeTimeouts() < timers);
    });
  });

  describe('StartExport and simulate()', () => {
    it('runs an export to an ExportResult, advancing ExportMetadata to DONE', async () => {
      const started = await client.call<RawOperation>('StartExport', {
        source: 't1',
        rows: 1234,
        durationMs: 100,
      });
      assert.equal(server.calls.StartExport, 1);
      assert.equal(started.done, false);
      assert.deepEqual(server.registry.unpack(started.metadata ?? { type_url: '', value: Buffer.alloc(0) }), {
        progressPercent: 0,
        rowsProcessed: '0',
        state: 'RUNNING',
      });
      const seen: number[] = [];
      server.store.subscribe(started.name, (op) => {
        if (op?.metadata)
          seen.push(server.registry.unpack<{ progressPercent: number }>(op.metadata).progressPercent);
      });
      const done = await client.call<RawOperation>('WaitOperation', { name: started.name });
      assert.equal(done.done, true);
      assert.deepEqual(server.registry.unpack(done.response ?? { type_url: '', value: Buffer.alloc(0) }), {
        uri: 'export://t1',
        rowCount: '1234',
      });
      assert.deepEqual(server.registry.unpack(done.metadata ?? { type_url: '', value: Buffer.alloc(0) }), {
        progressPercent: 100,
        rowsProcessed: '1234',
        state: 'DONE',
      });
      // The job may have taken steps before the subscription: check the order, not the count.
      const distinct = seen.filter((p, i) => p !== seen[i - 1]);
      assert.ok(
        distinct.every((p, i) => p % 10 === 0 && p > (distinct[i - 1] ?? 0)),
        `${seen}`,
      );
      assert.equal(distinct.at(-1), 100);
    });

    it('by default reports progressPercent in 10 steps, then the response', async () => {
      const metadataType = 'longrunning.demo.v1.ExportMetadata';
      const h = server.simulate({
        durationMs: 50,
        responseType: result,
        response: { value: 'r' },
        metadataType,
      });
      const percent = (op: RawOperation | undefined): number | undefined =>
        op?.metadata
          ? server.registry.unpack<{ progressPercent: number }>(op.metadata).progressPercent
          : undefined;
      const seen: (number | undefined)[] = [];
      server.store.subscribe(h.name, (op) => seen.push(percent(op)));
      assert.equal(percent(h.snapshot), 0);
      const done = await client.call<RawOperation>('WaitOperation', { name: h.name });
      assert.deepEqual(seen, [10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 100], 'ten steps, then the result');
      assert.deepEqual(server.registry.unpack(done.response ?? { type_url: '', value: Buffer.alloc(0) }), {
        value: 'r',
      });
    });

    it('ends a failing export with FAILED_PRECONDITION and an ErrorInfo detail', async () => {
      const op = await client.call<RawOperation>('StartExport', {
        source: 't2',
        rows: 5,
        durationMs: 0,
        fail: true,
      });
      assert.equal(op.done, true, 'durationMs 0 is done at once');
      assert.equal(op.error?.code, grpc.status.FAILED_PRECONDITION);
      assert.equal(op.error?.message, 'export of t2 failed');
      assert.deepEqual(
        op.error?.details.map((d) => server.registry.unpack(d)),
        [{ reason: 'EXPORT_FAILED', domain: 'longrunning.demo', metadata: { source: 't2' } }],
      );
    });

    it('reports custom metadata per step, at its times on the server clock, and stops once the operation is cancelled', async () => {
      const clock = new FakeClock(0);
      const timed = await FakeOperationsServer.start({ clock });
      try {
        const steps: [number, number, number][] = [];
        const h = timed.simulate({
          durationMs: 150,
          steps: 3,
          metadataType: progress,
          metadata: (fraction, step) => {
            steps.push([clock.now(), fraction, step]);
            return { value: step };
          },
          responseType: result,
          response: { value: 'never' },
        });
        assert.deepEqual(steps, [[0, 0, 0]]);
        await clock.advance(50);
        const cancelled = timed.store.cancel(h.name);
        assert.equal(cancelled?.error?.code, grpc.status.CANCELLED);
        await clock.advance(150); // past the job's end
        assert.equal(h.snapshot, cancelled, 'no change after cancel');
        assert.deepEqual(steps, [
          [0, 0, 0],
          [50, 1 / 3, 1],
        ]);
        assert.equal(clock.pendingSleeps, 0, 'the job left a timer behind');
      } finally {
        await timed.stop();
      }
    });

    it('runs its steps at durationMs × step / steps on the server clock, the last one with the response', async () => {
      const clock = new FakeClock(0);
      const timed = await FakeOperationsServer.start({ clock });
      try {
        const seen: [number, number | undefined, boolean][] = [];
        const h = timed.simulate({
          durationMs: 100,
          steps: 4,
          metadataType: progress,
          metadata: (_fraction, step) => ({ value: step }),
          responseType: result,
          response: { value: 'r' },
        });
        timed.store.subscribe(h.name, (op) =>
          seen.push([
            clock.now(),
            timed.registry.tryUnpack<{ value: number }>(op?.metadata)?.value,
            op?.done === true,
          ]),
        );
        await clock.advance(100);
        assert.deepEqual(seen, [
          [25, 1, false],
          [50, 2, false],
          [75, 3, false],
          [100, 4, false],
          [100, 4, true],
        ]);
      } finally {
        await timed.stop();
      }
    });

    it('checks the response type before creating anything', () => {
      const size = server.store.size;
      assert.throws(() =>
        server.simulate({ durationMs: 10, responseType: 'x.Missing', response: {}, metadataType: progress }),
      );
      assert.equal(server.store.size, size);
    });
  });
});

describe('FakeOperationsServer.stop()', () => {
  it('ends open calls and leaves no timer behind', async () => {
    const baseline = activeTimeouts();
    const server = await FakeOperationsServer.start();
    const client = new RawClient(server.address);
    const h = server.create();
    const waits = [
      client.start('WaitOperation', { name: h.name }),
      client.start('WaitOperation', { name: h.name, timeout: { seconds: 60 } }),
    ];
    await until(() => server.openWaits === 2);
    server.simulate({ durationMs: 60_000, responseType: result, response: {}, metadataType: progress });
    server.latencyMs = 60_000;
    const slow = client.start('GetOperation', { name: h.name });
    await until(() => server.calls.GetOperation === 1);
    const settled = Promise.allSettled([...waits, slow].map((call) => call.result));
    await server.stop();
    const outcomes = await settled;
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['rejected', 'rejected', 'rejected'],
    );
    assert.equal(server.openWaits, 0);
    assert.equal(server.store.listenerCount(h.name), 0);
    client.close();
    await until(() => activeTimeouts() <= baseline);
  });

  it('lets a new server on the same port serve the same store', async () => {
    const store = new OperationStore();
    const first = await FakeOperationsServer.start({ store });
    const h = first.create({ metadataType: progress, metadata: { value: 7 } });
    const { port } = first;
    await first.stop();
    const second = await FakeOperationsServer.start({ store, port });
    const client = new RawClient(second.address);
    try {
      assert.equal(second.port, port);
      assert.deepEqual(await client.call('GetOperation', { name: h.name }), h.snapshot);
      assert.notEqual(second.create().name.split('-')[0], h.name.split('-')[0], 'fresh id prefix');
    } finally {
      client.close();
      await second.stop();
    }
  });
});

describe('FakeOperationsServer.start({ protoFiles })', () => {
  const PROTOS = join(import.meta.dirname, '..', 'fixtures', 'protos');

  it('puts the types of protoFiles in its registry, so simulate() packs them without a registry option', async () => {
    const clock = new FakeClock(0);
    const server = await FakeOperationsServer.start({
      protoFiles: ['catalog/v1/catalog.proto'],
      includeDirs: [PROTOS],
      clock,
    });
    const client = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
      registry: createRegistry().addProtoFiles(['catalog/v1/catalog.proto'], { includeDirs: [PROTOS] }),
    });
    try {
      assert.ok(server.registry.has('catalog.v1.Reindex'));
      const h = server.simulate({
        durationMs: 100,
        steps: 1,
        metadataType: 'catalog.v1.ReindexMetadata',
        responseType: 'catalog.v1.Reindex',
        response: { itemCount: '42' },
      });
      await clock.advance(100);
      const op = await client.getOperation(h.name);
      assert.deepEqual(op.response, { itemCount: '42', endTime: null });
      assert.deepEqual(op.metadata, { progressPercent: 100, startTime: null });
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('adds them to a registry it is given, too', async () => {
    const registry = createRegistry();
    const server = await FakeOperationsServer.start({
      protoFiles: ['catalog/v1/catalog.proto'],
      includeDirs: [PROTOS],
      registry,
    });
    try {
      assert.equal(server.registry, registry);
      assert.ok(registry.has('catalog.v1.Item'));
    } finally {
      await server.stop();
    }
  });
});
