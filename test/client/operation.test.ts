import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { operationTypesFromMethod } from '../../src/client/gapic.ts';
import { OperationsClient, type OperationsClientOptions } from '../../src/client/grpc-client.ts';
import type { Operation } from '../../src/client/operation.ts';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { builtinRoot, serviceDefinition } from '../../src/proto/builtin.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import {
  OperationError,
  OperationStateError,
  TimeoutError,
  UnknownTypeError,
} from '../../src/wire/errors.ts';
import { drive, eventually, handleSuite, TARGETS } from './handle-suite.ts';
import { operationBytes, rawGrpcServer, rawHttpServer } from './raw-answers.ts';

const insecure = grpc.credentials.createInsecure();
const META = 'longrunning.demo.v1.ExportMetadata';
const RESULT = 'longrunning.demo.v1.ExportResult';
type ExportResult = { uri: string; rowCount: string };
type ExportMetadata = { progressPercent: number; rowsProcessed: string; state: string };
const types = { responseType: RESULT, metadataType: META };

// The behaviour every transport shares (issue 5's acceptance tests 1, 2, 3a, 4-11, 13),
// run over gRPC, HTTP/JSON without WaitOperation and HTTP/JSON with a wait rule.
for (const target of TARGETS) handleSuite(target, () => new FakeClock());

// What only the gRPC client has: UNIMPLEMENTED memory, GAPIC wrapping, the WaitOperation cap.
describe('Operation over gRPC', () => {
  let server: FakeOperationsServer;
  const clients: OperationsClient[] = [];
  function makeClient(options: Partial<OperationsClientOptions> = {}, target = server): OperationsClient {
    const c = new OperationsClient({ address: target.address, credentials: insecure, ...options });
    clients.push(c);
    return c;
  }

  before(async () => {
    server = await FakeOperationsServer.start();
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });
  beforeEach(() => server.resetCounters());

  it('auto falls back to GetOperation after one UNIMPLEMENTED and remembers it for the client', async () => {
    const noWait = await FakeOperationsServer.start({ supportsWait: false });
    try {
      const clock = new FakeClock();
      const client = makeClient({ clock, polling: { jitter: 0 } }, noWait);
      const first = noWait.create();
      const waiting = client.operation(first.name).wait();
      await drive(clock, 2);
      first.succeed('google.protobuf.Empty', {});
      await drive(clock, 1);
      await waiting;
      assert.equal(noWait.calls.WaitOperation, 1);
      assert.equal(noWait.calls.GetOperation, 4);

      const second = noWait.create();
      second.succeed('google.protobuf.Empty', {});
      await client.operation(second.name).wait();
      assert.equal(noWait.calls.WaitOperation, 1, 'no further WaitOperation from this client');
      assert.equal(noWait.calls.GetOperation, 5);
    } finally {
      await noWait.stop();
    }
  });

  it('done with neither response nor error, or with an error of code 0, is an OperationStateError', async () => {
    const client = makeClient();
    const neither = server.create();
    neither.setRaw({ done: true });
    await assert.rejects(client.operation(neither.name).wait(), (e: unknown) => {
      assert.ok(OperationStateError.is(e));
      assert.match(e.message, /neither a response nor an error/);
      return true;
    });
    const okError = server.create();
    okError.setRaw({ done: true, error: { code: 0, message: 'fine?', details: [] } });
    const op = client.operation(okError.name);
    await assert.rejects(op.wait(), (e: unknown) => OperationStateError.is(e) && /code is 0/.test(e.message));
    assert.equal(op.error, undefined);
  });

  it('a poll the connection ends (CANCELLED the client did not ask for, e.g. a server shutting down) does not fail the wait', async () => {
    const clock = new FakeClock();
    const client = makeClient({ clock, callDefaults: { retry: false } });
    const h = server.create();
    server.inject({ method: 'WaitOperation', code: grpc.status.CANCELLED, times: 2 });
    const waiting = client.operation(h.name).wait();
    const settled = waiting.then(
      () => true,
      () => true,
    );
    await drive(clock, 2);
    h.succeed('google.protobuf.Empty', {});
    // Each dropped wait is answered by a GetOperation; the connection's reconnect backoff
    // (jittered) decides whether the next poll is a wait or a GetOperation, so drive on
    // until the wait settles (bounded: 10 sleeps).
    for (let i = 0; i < 10; i++) {
      if (
        await Promise.race([
          settled,
          clock.untilSleeping().then(
            () => false,
            () => false,
          ),
        ])
      )
        break;
      await clock.advanceToNext();
    }
    assert.deepEqual(await waiting, {});
    assert.ok(server.calls.WaitOperation >= 2, `${server.calls.WaitOperation} WaitOperation calls`);
  });

  it('watch() with a bad option throws the option error and leaves no listener on the caller’s signal', async () => {
    const client = makeClient();
    const h = server.create();
    const controller = new AbortController();
    for (const bad of [{ timeoutMs: -1 }, { strategy: 'sometimes' }, { onRetry: 'loudly' }]) {
      await assert.rejects(async () => {
        for await (const _ of client.operation(h.name).watch({ ...bad, signal: controller.signal } as object))
          break;
      }, /timeoutMs|strategy|onRetry/);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0, JSON.stringify(bad));
    }
    assert.equal(server.calls.GetOperation + server.calls.WaitOperation, 0);
  });

  it('a throwing onProgress rejects the wait instead of hanging it', async () => {
    const client = makeClient();
    const h = server.create({ metadataType: META, metadata: { progressPercent: 1 } });
    const boom = new Error('progress bar broke');
    await assert.rejects(
      client.operation(h.name).wait({
        onProgress: () => {
          throw boom;
        },
      }),
      (e: unknown) => e === boom,
    );
  });

  describe('an onProgress that returns a promise', () => {
    /** Collects the unhandled rejections of the process while `fn` runs, and a few turns after. */
    async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        await fn();
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      return unhandled;
    }

    /** A promise and the functions that settle it. */
    function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
      let resolve = (): void => {};
      let reject = (_: unknown): void => {};
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    }

    it('that rejects rejects the wait with its reason; later rejections are neither unhandled nor change it', async () => {
      const clock = new FakeClock();
      const client = makeClient({ clock });
      const h = server.create({ metadataType: META, metadata: { progressPercent: 1 } });
      const returned: ReturnType<typeof deferred>[] = [];
      const unhandled = await unhandledDuring(async () => {
        const waiting = client.operation(h.name).wait({
          strategy: 'poll',
          polling: { jitter: 0 },
          onProgress: () => {
            const d = deferred();
            returned.push(d);
            return d.promise;
          },
        });
        const outcome = waiting.then(
          () => 'resolved',
          (e: unknown) => e,
        );
        await clock.untilSleeping();
        h.setMetadata({ progressPercent: 2 });
        await clock.advanceToNext();
        await clock.untilSleeping();
        assert.equal(returned.length, 2, 'one call per changed snapshot');
        const first = new Error('progress store down');
        returned[0]?.reject(first);
        returned[1]?.reject(new Error('still down'));
        assert.equal(await outcome, first);
      });
      assert.deepEqual(unhandled, []);
    });

    it('keeps wait() from resolving until the promise returned for the final snapshot settles, and a rejection then rejects it', async () => {
      for (const ending of ['resolve', 'reject'] as const) {
        const client = makeClient();
        const h = server.create().succeed('google.protobuf.Empty', {});
        const d = deferred();
        let settled = false;
        const unhandled = await unhandledDuring(async () => {
          const waiting = client.operation(h.name).wait({ onProgress: () => d.promise });
          const outcome = waiting.then(
            () => 'resolved',
            (e: unknown) => e,
          );
          void outcome.finally(() => {
            settled = true;
          });
          await eventually(() => server.calls.WaitOperation + server.calls.GetOperation > 0, 'the poll');
          for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
          assert.equal(settled, false, `${ending}: settled before the promise onProgress returned`);
          const reason = new Error('last progress write failed');
          if (ending === 'resolve') d.resolve();
          else d.reject(reason);
          assert.equal(await outcome, ending === 'resolve' ? 'resolved' : reason);
        });
        assert.deepEqual(unhandled, [], ending);
      }
    });

    it('that rejects ends watch() with its reason', async () => {
      const client = makeClient();
      const h = server.create({ metadataType: META, metadata: { progressPercent: 1 } });
      const boom = new Error('progress store down');
      const unhandled = await unhandledDuring(async () => {
        await assert.rejects(
          async () => {
            for await (const _ of client
              .operation(h.name)
              .watch({ onProgress: () => Promise.reject(boom) })) {
              // Each change; the rejection ends the loop.
            }
          },
          (e: unknown) => e === boom,
        );
      });
      assert.deepEqual(unhandled, []);
    });
  });

  it('wraps a grpc-js Exporter method and reads its operation_info types and progress', async () => {
    const client = makeClient();
    const definition = serviceDefinition(builtinRoot().lookupService('longrunning.demo.v1.Exporter'));
    const Exporter = grpc.makeGenericClientConstructor(definition, 'Exporter');
    const exporter = new Exporter(server.address, insecure);
    try {
      const startExport = exporter.startExport?.bind(exporter);
      assert.ok(startExport);
      const typesFromProto = operationTypesFromMethod(
        client.registry,
        'longrunning.demo.v1.Exporter.StartExport',
      );
      assert.deepEqual(typesFromProto, { responseType: RESULT, metadataType: META });
      const start = client.wrap<object, ExportResult, ExportMetadata>(startExport, typesFromProto);
      const op = await start({ source: 'gapic', rows: 250, durationMs: 300 });
      const progress: number[] = [];
      for await (const s of op.watch({ polling: { initialDelayMs: 20, multiplier: 1 } })) {
        if (!s.done && s.metadata !== undefined) progress.push(s.metadata.progressPercent);
      }
      assert.ok(progress.length >= 1, 'progress was read while the export ran');
      assert.ok(progress.every((p) => p >= 0 && p < 100));
      assert.deepEqual(await op.wait(), { uri: 'export://gapic', rowCount: '250' });
      assert.equal(op.progress, 100);
    } finally {
      exporter.close();
    }
  });

  it('polls use the client retry policy and headers, never those of the call that started the operation', async () => {
    const clock = new FakeClock();
    const client = makeClient({ clock, callDefaults: { metadata: { 'x-client': 'operations-client' } } });
    const definition = serviceDefinition(builtinRoot().lookupService('longrunning.demo.v1.Exporter'));
    const Exporter = grpc.makeGenericClientConstructor(definition, 'Exporter');
    const exporter = new Exporter(server.address, insecure);
    try {
      const startExport = exporter.startExport?.bind(exporter);
      assert.ok(startExport);
      const start = client.wrap(startExport, { responseType: RESULT, metadataType: META });
      // The start call: no retries at all, and a routing header meant for the Exporter only.
      const op = await start(
        { source: 'routed', rows: 1, durationMs: 60_000 },
        { retry: false, metadata: { 'x-goog-request-params': 'source=routed' } },
      );
      assert.equal(server.lastHeaders.StartExport?.['x-goog-request-params'], 'source=routed');
      server.inject({ method: 'WaitOperation', code: grpc.status.UNAVAILABLE, times: 2 });
      const waiting = op.wait({ polling: { jitter: 0 } });
      await drive(clock, 2); // the client's retry backoff after each UNAVAILABLE
      await eventually(
        () => server.calls.WaitOperation === 3 && server.openWaits === 1,
        'the third attempt, held',
      );
      assert.equal(clock.sleeps.length, 2, 'both UNAVAILABLE answers were retried by the client policy');
      assert.ok(
        (clock.sleeps[0] ?? 0) <= 120 && (clock.sleeps[1] ?? 0) <= 240,
        `retry delays ${clock.sleeps}`,
      );
      const pollHeaders = server.lastHeaders.WaitOperation ?? {};
      assert.equal(pollHeaders['x-client'], 'operations-client', 'the client headers');
      assert.equal(pollHeaders['x-goog-request-params'], undefined, 'not the start call routing header');
      server.store.update(op.name, {
        done: true,
        response: server.registry.pack(RESULT, { uri: 'export://routed', rowCount: 1 }),
      });
      assert.deepEqual(await waiting, { uri: 'export://routed', rowCount: '1' });
    } finally {
      exporter.close();
    }
  });

  it('a waiter joining a sleeping loop with an earlier deadline times out at its own deadline, not after the sleep', async () => {
    const clock = new FakeClock();
    const client = makeClient({ clock });
    const h = server.create();
    const polling = { initialDelayMs: 10_000, multiplier: 1, maxDelayMs: 10_000, jitter: 0 };
    const first = client.operation(h.name).wait({ strategy: 'poll', polling });
    assert.equal(await clock.untilSleeping(), 10_000, 'the loop sleeps 10 s after its first poll');
    const late = client.operation(h.name).wait({ strategy: 'poll', timeoutMs: 3000 });
    const outcome = late.then(
      () => assert.fail('expected a timeout'),
      (e: unknown) => e,
    );
    await new Promise((r) => setImmediate(r)); // the loop withdraws its 10 s sleep and plans again
    assert.equal(clock.nextDueAt(), 3000, 'the loop now wakes at the new deadline');
    await drive(clock, 1);
    const error = await outcome;
    assert.ok(TimeoutError.is(error));
    assert.equal(clock.now(), 3000, 'timed out at its own deadline');
    assert.equal(error.elapsedMs, 3000);
    assert.equal(error.polls, 1, 'one final poll at its deadline');
    assert.equal(server.calls.GetOperation, 2);
    h.succeed('google.protobuf.Empty', {});
    await drive(clock, 1);
    assert.deepEqual(await first, {}, 'the first waiter goes on to the result');
  });

  it('a waiter joining during a held WaitOperation with an earlier deadline replaces that call with one bounded by its deadline', async () => {
    const clock = new FakeClock();
    const client = makeClient({ clock, polling: { waitChunkMs: 5000, jitter: 0 } });
    const h = server.create();
    const first = client.operation(h.name).wait();
    await eventually(() => server.openWaits === 1, 'the first WaitOperation to be held');
    const late = client.operation(h.name).wait({ timeoutMs: 50 });
    const outcome = late.then(
      () => assert.fail('expected a timeout'),
      (e: unknown) => e,
    );
    // The held 5 s call is cancelled and a WaitOperation of at most 50 ms takes its place.
    await eventually(() => server.calls.WaitOperation === 2, 'a second WaitOperation');
    await drive(clock, 1); // it came back early (on the fake clock): a backoff sleep, clamped to the deadline
    const error = await outcome;
    assert.ok(TimeoutError.is(error));
    assert.equal(clock.now(), 50);
    assert.equal(clock.sleeps[0], 50, 'the sleep before the final poll ends at the deadline');
    h.succeed('google.protobuf.Empty', {});
    await drive(clock, 1); // the first waiter's loop wakes from its backoff and polls
    assert.deepEqual(await first, {}, 'the first waiter goes on to the result');
  });

  it('a watcher joining while its loop holds an unpaced WaitOperation gets progress without waiting for that call', async () => {
    const client = makeClient({
      polling: { initialDelayMs: 20, multiplier: 1, maxDelayMs: 20, waitChunkMs: 10_000 },
    });
    const h = server.create({ metadataType: META, metadata: { progressPercent: 0 } });
    const plain = client.operation(h.name).wait(); // wants no updates: one WaitOperation of 10 s
    await eventually(() => server.openWaits === 1, 'the plain wait to hold a WaitOperation');
    const seen: number[] = [];
    const watching = (async () => {
      for await (const s of client.operation<ExportResult, ExportMetadata>(h.name, types).watch()) {
        if (!s.done && s.metadata !== undefined) seen.push(s.metadata.progressPercent);
      }
    })();
    await eventually(() => server.calls.WaitOperation >= 2, 'the held call to be replaced by a paced one');
    h.setMetadata({ progressPercent: 50 });
    await eventually(() => seen.includes(50), 'the watcher to see 50% long before the 10 s call would end');
    h.succeed(RESULT, { uri: 'export://paced', rowCount: 1 });
    await Promise.all([plain, watching]);
  });

  it('maxWaitCalls 4 caps open WaitOperation calls, and waits beyond it are woken by a freed slot, not by their backoff', async () => {
    // Fake time never moves: a wait that settles did so through a slot freed by another.
    const clock = new FakeClock();
    const client = makeClient({ clock, maxWaitCalls: 4 });
    const handles = Array.from({ length: 10 }, () => server.create());
    const settled = handles.map(() => false);
    const waits = handles.map((h, i) =>
      client
        .operation(h.name)
        .wait()
        .then(() => {
          settled[i] = true;
        }),
    );
    await eventually(() => server.openWaits === 4 && clock.pendingSleeps === 6, '4 open waits, 6 sleeping');
    for (const h of handles) h.succeed('google.protobuf.Empty', {});
    await eventually(() => settled.every(Boolean), 'every wait to settle');
    await Promise.all(waits);
    assert.ok(server.peakOpenWaits <= 4, `peak ${server.peakOpenWaits}`);
    assert.equal(clock.now(), 0, 'no backoff delay elapsed');
    assert.equal(server.calls.GetOperation, 6, 'one GetOperation for each wait beyond the cap, none after');
  });

  it('derives progress and id from the snapshot, never throwing', async () => {
    const client = makeClient();
    const h = server.create({
      name: 'projects/p/operations/abc123',
      metadataType: META,
      metadata: { progressPercent: 140 },
    });
    const op = await client.operation<ExportResult, ExportMetadata>(h.name, types).poll();
    assert.equal(op.id, 'abc123');
    assert.equal(op.progress, 100);
    h.setRaw({ metadata: { type_url: 'type.googleapis.com/acme.Unknown', value: Buffer.from([1]) } });
    await op.poll();
    assert.equal(op.progress, undefined);
    assert.throws(() => op.metadata, UnknownTypeError);
    const json = op.toJSON().metadata as Record<string, string>;
    assert.equal(json['@type'], 'type.googleapis.com/acme.Unknown');
    assert.match(json['@error'] ?? '', /expected longrunning\.demo\.v1\.ExportMetadata .*acme\.Unknown/);
  });

  it('rejects bad wait options with errors naming the option, before any RPC', async () => {
    const client = makeClient();
    const op = client.operation(server.create().name);
    const cases: [object, RegExp][] = [
      [{ timeoutMs: -1 }, /timeoutMs/],
      [{ timeoutMs: Number.NaN }, /timeoutMs/],
      [{ polling: { multiplier: 0.5 } }, /multiplier/],
      [{ polling: { jitter: 2 } }, /jitter/],
      [{ strategy: 'sometimes' }, /strategy/],
      [{ strategy: null }, /strategy/],
      [
        { retry: { codes: [14], maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1, multiplier: 0.5 } },
        /retry\.multiplier/,
      ],
      [
        {
          retry: {
            codes: [14],
            maxAttempts: Number.POSITIVE_INFINITY,
            initialDelayMs: 1,
            maxDelayMs: 1,
            multiplier: 1,
          },
        },
        /retry\.maxAttempts/,
      ],
      [{ signal: 'stop' }, /signal/],
    ];
    const isNamed = (pattern: RegExp) => (e: unknown) =>
      (e instanceof RangeError || e instanceof TypeError) && pattern.test(e.message);
    for (const [options, pattern] of cases) {
      await assert.rejects(op.wait(options), isNamed(pattern));
    }
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) {
      await assert.rejects(op.poll({ timeoutMs: bad }), isNamed(/timeoutMs/));
      await assert.rejects(op.cancel({ timeoutMs: bad }), isNamed(/timeoutMs/));
      await assert.rejects(op.delete({ timeoutMs: bad }), isNamed(/timeoutMs/));
    }
    const total = Object.values(server.calls).reduce((a, b) => a + b, 0);
    assert.equal(total, 0, 'no RPC of any kind');
  });
});

export type { Operation };

// A oneof sent with both members: protobuf keeps the one last on the wire (in JSON, the later key).
describe('an operation sent with both error and response', () => {
  const name = 'operations/both';
  const response = {
    type_url: `type.googleapis.com/${RESULT}`,
    value: builtinRoot().lookupType(RESULT).encode({ uri: 'export://both', rowCount: 7 }).finish(),
  };
  const error = { code: grpc.status.ABORTED, message: 'lost a race' };

  /** Checks that every view of the handle agrees on the outcome `wins`. */
  async function agrees(op: Operation<ExportResult>, wins: 'error' | 'response'): Promise<void> {
    if (wins === 'response') {
      assert.deepEqual(await op.wait(), { uri: 'export://both', rowCount: '7' });
      assert.equal(op.error, undefined);
      assert.equal(op.cancelled, false);
      assert.equal(op.toJSON().error, undefined);
      assert.deepEqual(op.toJSON().response, { uri: 'export://both', rowCount: '7' });
    } else {
      await assert.rejects(op.wait(), (e: unknown) => OperationError.is(e) && e.code === grpc.status.ABORTED);
      assert.equal(op.error?.code, grpc.status.ABORTED);
      assert.equal(op.response, undefined);
      assert.equal(op.toJSON().response, undefined);
      assert.equal(op.raw.result, 'error');
    }
  }

  for (const [order, wins] of [
    ['response then error', 'error'],
    ['error then response', 'response'],
  ] as const) {
    it(`over gRPC, ${order} on the wire is ${wins === 'error' ? 'a failed' : 'a successful'} operation everywhere`, async () => {
      const parts = [operationBytes({ name, done: true, response }), operationBytes({ error })];
      const bytes = Buffer.concat(wins === 'error' ? parts : parts.reverse());
      const server = await rawGrpcServer(() => bytes);
      const client = new OperationsClient({ address: server.address, credentials: insecure });
      try {
        await agrees(client.operation<ExportResult>(name, types), wins);
        const { raw } = await client.getOperation(name);
        assert.equal(raw.result, wins);
        assert.equal(wins === 'error' ? raw.response : raw.error, undefined, 'the other member is gone');
      } finally {
        client.close();
        await server.stop();
      }
    });

    it(`over HTTP/JSON, ${order} as keys is ${wins === 'error' ? 'a failed' : 'a successful'} operation everywhere`, async () => {
      const fields = [
        `"response":{"@type":"type.googleapis.com/${RESULT}","uri":"export://both","rowCount":"7"}`,
        `"error":{"code":${error.code},"message":"${error.message}"}`,
      ];
      const body = `{"name":"${name}","done":true,${(wins === 'error' ? fields : fields.reverse()).join(',')}}`;
      const server = await rawHttpServer(() => body);
      const client = new OperationsRestClient({ baseUrl: server.url });
      try {
        await agrees(client.operation<ExportResult>(name, types), wins);
      } finally {
        client.close();
        await server.close();
      }
    });
  }
});
