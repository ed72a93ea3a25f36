import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient, type OperationsClientOptions } from '../src/client.ts';
import {
  OperationError,
  OperationStateError,
  RpcError,
  TimeoutError,
  UnknownTypeError,
} from '../src/errors.ts';
import { operationTypesFromMethod } from '../src/gapic.ts';
import type { Operation } from '../src/operation.ts';
import { builtinRoot, serviceDefinition } from '../src/protos.ts';
import { createRegistry } from '../src/registry.ts';
import { FakeClock } from '../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../src/testing/fake-server.ts';
import type { RawOperation } from '../src/types.ts';

const insecure = grpc.credentials.createInsecure();
const registry = createRegistry();
const META = 'longrunning.demo.v1.ExportMetadata';
const RESULT = 'longrunning.demo.v1.ExportResult';
type ExportResult = { uri: string; rowCount: string };
type ExportMetadata = { progressPercent: number; rowsProcessed: string; state: string };
const types = { responseType: RESULT, metadataType: META };

/** Advances the fake clock past `n` loop sleeps, letting each poll's real RPC finish first. */
async function drive(clock: FakeClock, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await clock.untilSleeping();
    await clock.advanceToNext();
  }
}

/** Waits (bounded, real time) until `check` holds: for server-side effects that happen after a client call returns. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), `timed out waiting for ${what}`);
}

function timerCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('Operation', () => {
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

  it('1. settles an already-done operation with zero RPCs', async () => {
    const client = makeClient();
    const done: RawOperation = {
      name: 'operations/finished',
      done: true,
      metadata: null,
      response: registry.pack(RESULT, { uri: 'export://a', rowCount: 3 }),
      result: 'response',
    };
    assert.deepEqual(await client.operation<ExportResult>(done, types).wait(), {
      uri: 'export://a',
      rowCount: '3',
    });
    const failed = client.operation({
      ...done,
      response: null,
      error: { code: 5, message: 'gone', details: [] },
    });
    await assert.rejects(failed.wait(), (e: unknown) => OperationError.is(e) && e.code === 5);
    assert.equal(
      Object.values(server.calls).reduce((a, b) => a + b, 0),
      0,
    );
  });

  it('2. polls with delays of exactly 1000, 2000, 4000, 4000 (jitter 0), and within [0.8, 1.2]× with jitter 0.2', async () => {
    const clock = new FakeClock();
    const client = makeClient({ clock });
    const h = server.create();
    const polling = { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 4000, jitter: 0 };
    const waiting = client.operation(h.name).wait({ strategy: 'poll', polling });
    await drive(clock, 5);
    h.succeed('google.protobuf.Empty', {});
    await drive(clock, 1);
    await waiting;
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000, 4000, 4000, 4000]);
    assert.equal(server.calls.GetOperation, 7);

    const jittered = new FakeClock();
    const client2 = makeClient({ clock: jittered });
    const h2 = server.create();
    const waiting2 = client2
      .operation(h2.name)
      .wait({ strategy: 'poll', polling: { ...polling, jitter: 0.2 } });
    await drive(jittered, 12);
    h2.succeed('google.protobuf.Empty', {});
    await drive(jittered, 1);
    await waiting2;
    const steps = [1000, 2000, 4000];
    jittered.sleeps.forEach((delay, i) => {
      const step = steps[Math.min(i, 2)] ?? 4000;
      assert.ok(delay >= 0.8 * step && delay <= 1.2 * step, `delay ${i} = ${delay} for step ${step}`);
      assert.ok(delay <= 4000, `delay ${i} = ${delay} above the cap`);
    });
  });

  it('3a. auto notices completion within one loopback round trip through WaitOperation', async () => {
    const client = makeClient();
    const h = server.create();
    const op = client.operation(h.name);
    let settledAt = 0;
    const waiting = op.wait().then(() => {
      settledAt = performance.now();
    });
    await eventually(() => server.openWaits === 1, 'the WaitOperation call to open');
    const completedAt = performance.now();
    h.succeed('google.protobuf.Empty', {});
    await waiting;
    assert.ok(settledAt - completedAt < 20, `noticed after ${(settledAt - completedAt).toFixed(1)} ms`);
    assert.equal(server.calls.GetOperation, 0);
    assert.equal(server.calls.WaitOperation, 1);
  });

  it('3b. auto falls back to GetOperation after one UNIMPLEMENTED and remembers it for the client', async () => {
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

  it('4. times out after polls at 0, 4000, 8000 and a final one at 10,000, carrying the last snapshot', async () => {
    const clock = new FakeClock();
    const client = makeClient({ clock });
    const h = server.create({ metadataType: META, metadata: { state: 'RUNNING' } });
    const pollTimes: number[] = [];
    const op = client.operation(h.name);
    const waiting = op.wait({
      strategy: 'poll',
      timeoutMs: 10_000,
      polling: { initialDelayMs: 4000, multiplier: 1, maxDelayMs: 4000, jitter: 0 },
    });
    const outcome = waiting.then(
      () => assert.fail('expected a timeout'),
      (e: unknown) => e,
    );
    for (let i = 0; i < 3; i++) {
      await clock.untilSleeping();
      pollTimes.push(clock.now());
      await clock.advanceToNext();
    }
    const error = await outcome;
    pollTimes.push(clock.now());
    assert.ok(TimeoutError.is(error));
    assert.deepEqual(pollTimes, [0, 4000, 8000, 10_000]);
    assert.deepEqual(clock.sleeps, [4000, 4000, 2000]);
    assert.equal(server.calls.GetOperation, 4);
    assert.equal(error.polls, 4);
    assert.equal(error.elapsedMs, 10_000);
    assert.equal(error.lastSnapshot?.name, h.name);
    assert.equal(error.lastSnapshot?.done, false);
    assert.match(error.message, new RegExp(h.name.replace('/', '\\/')));
    assert.match(error.message, /10000/);
    assert.equal(h.done, false, 'the server operation is not cancelled');
    assert.equal(server.calls.CancelOperation, 0);
  });

  it('5. a failed operation rejects with OperationError keeping code, details and the final snapshot', async () => {
    const client = makeClient();
    const h = server.create();
    const op = client.operation<ExportResult>(h.name, types);
    const waiting = op.wait();
    h.fail({
      code: 9,
      message: 'source t1 is locked',
      details: [registry.pack('google.rpc.ErrorInfo', { reason: 'LOCKED', domain: 'acme' })],
    });
    await assert.rejects(waiting, (e: unknown) => {
      assert.ok(OperationError.is(e));
      assert.equal(e.code, 9);
      assert.equal(e.message, 'FAILED_PRECONDITION: source t1 is locked');
      assert.deepEqual(e.findDetails('google.rpc.ErrorInfo'), [
        { reason: 'LOCKED', domain: 'acme', metadata: {} },
      ]);
      assert.equal(e.operation.name, h.name);
      assert.equal(e.operation.done, true);
      return true;
    });
    assert.equal(op.done, true);
    assert.equal(op.error?.code, 9);
    assert.equal(op.response, undefined);
  });

  it('5b. done with neither response nor error, or with an error of code 0, is an OperationStateError', async () => {
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

  it('6. survives UNAVAILABLE on 3 polls in a row; PERMISSION_DENIED rejects at once; the handle stays usable', async () => {
    const clock = new FakeClock();
    const client = makeClient({ clock, callDefaults: { retry: false } });
    const h = server.create();
    const op = client.operation(h.name);
    server.inject({ method: 'WaitOperation', code: grpc.status.UNAVAILABLE, times: 3 });
    const waiting = op.wait();
    await drive(clock, 3);
    h.succeed('google.protobuf.Empty', {});
    assert.deepEqual(await waiting, {});
    assert.equal(server.calls.WaitOperation, 4);

    const denied = server.create();
    const op2 = client.operation(denied.name);
    server.inject({ method: 'WaitOperation', code: grpc.status.PERMISSION_DENIED });
    await assert.rejects(
      op2.wait(),
      (e: unknown) => RpcError.is(e) && e.code === grpc.status.PERMISSION_DENIED,
    );
    assert.equal(clock.pendingSleeps, 0, 'no poll scheduled after the failure');
    denied.succeed('google.protobuf.Empty', {});
    assert.deepEqual(await op2.wait(), {}, 'wait() works again on the same handle');
  });

  it('6b. a poll the connection ends (CANCELLED the client did not ask for, e.g. a server shutting down) does not fail the wait', async () => {
    const clock = new FakeClock();
    const client = makeClient({ clock, callDefaults: { retry: false } });
    const h = server.create();
    server.inject({ method: 'WaitOperation', code: grpc.status.CANCELLED, times: 2 });
    const waiting = client.operation(h.name).wait();
    await drive(clock, 2);
    h.succeed('google.protobuf.Empty', {});
    assert.deepEqual(await waiting, {});
    assert.equal(server.calls.WaitOperation, 3);
  });

  it('7. abort during a sleep rejects at once, leaves no timer, and with cancelOnAbort cancels on the server', async () => {
    const client = makeClient({ polling: { initialDelayMs: 60_000 } });
    const h = server.create();
    const baseline = timerCount();
    const controller = new AbortController();
    const waiting = client.operation(h.name).wait({ strategy: 'poll', signal: controller.signal });
    await eventually(
      () => server.calls.GetOperation === 1 && timerCount() > baseline,
      'the first poll and its sleep',
    );
    const reason = new Error('stop');
    controller.abort(reason);
    const started = performance.now();
    await assert.rejects(waiting, (e: unknown) => e === reason);
    assert.ok(performance.now() - started < 10);
    assert.equal(timerCount(), baseline, 'no timer left by the library');

    const cancelling = new AbortController();
    const op = client.operation(h.name);
    const waiting2 = op.wait({ strategy: 'poll', signal: cancelling.signal, cancelOnAbort: true });
    await eventually(() => server.calls.GetOperation === 2, 'the first poll');
    cancelling.abort();
    await assert.rejects(waiting2, (e: unknown) => e instanceof DOMException && e.name === 'AbortError');
    await eventually(() => server.calls.CancelOperation === 1, 'CancelOperation');
    assert.equal(h.snapshot.error?.code, grpc.status.CANCELLED);
  });

  it('8. 100 waiters on one name share one loop; aborting 99 keeps it going; aborting all stops it', async () => {
    const clock = new FakeClock();
    const client = makeClient({ clock, polling: { jitter: 0 } });
    const h = server.create();
    const controllers = Array.from({ length: 100 }, () => new AbortController());
    const waits = controllers.map((c) =>
      client
        .operation(h.name)
        .wait({ strategy: 'poll', signal: c.signal })
        .then(
          () => 'resolved',
          (e: unknown) => (e instanceof DOMException ? 'aborted' : e),
        ),
    );
    await drive(clock, 3);
    assert.equal(server.calls.GetOperation, 4, 'one waiter would also poll 4 times by now');
    for (const c of controllers.slice(0, 99)) c.abort();
    await drive(clock, 2);
    assert.equal(server.calls.GetOperation, 6, 'the last waiter keeps the loop polling');
    controllers[99]?.abort();
    assert.deepEqual(new Set(await Promise.all(waits)), new Set(['aborted']));
    await new Promise((r) => setImmediate(r));
    assert.equal(clock.pendingSleeps, 0, 'no sleep left once every waiter left');
    await clock.advance(600_000);
    assert.equal(server.calls.GetOperation, 6, 'no poll after the last waiter left');
  });

  it('9. onProgress and watch() see only the snapshots whose metadata changed, plus the final one', async () => {
    for (const mode of ['onProgress', 'watch'] as const) {
      const clock = new FakeClock();
      const client = makeClient({ clock, polling: { jitter: 0 } });
      const h = server.create({ metadataType: META, metadata: { progressPercent: 0 } });
      const op = client.operation<ExportResult, ExportMetadata>(await client.getOperation(h.name), types);
      const seen: (number | undefined)[] = [];
      const result =
        mode === 'onProgress'
          ? op.wait({
              strategy: 'poll',
              onProgress: (o) => seen.push(o.done ? -1 : o.metadata?.progressPercent),
            })
          : (async () => {
              for await (const s of op.watch({ strategy: 'poll' }))
                seen.push(s.done ? -1 : s.metadata?.progressPercent);
            })();
      await drive(clock, 1); // poll 1 at 0: unchanged
      h.setMetadata({ progressPercent: 20 });
      await drive(clock, 1); // poll 2: changed
      await drive(clock, 1); // poll 3: unchanged
      h.setMetadata({ progressPercent: 60 });
      await drive(clock, 1); // poll 4: changed
      h.succeed(RESULT, { uri: 'export://p', rowCount: 1 });
      await drive(clock, 1); // poll 5: done
      await result;
      assert.deepEqual(seen, [20, 60, -1], mode);
    }
  });

  it('9b. a throwing onProgress rejects the wait instead of hanging it', async () => {
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

  it('10. cancel() then wait() rejects with CANCELLED and marks the handle cancelled', async () => {
    const client = makeClient();
    const op = client.operation(server.create().name);
    await op.cancel();
    await assert.rejects(op.wait(), (e: unknown) => OperationError.is(e) && e.code === grpc.status.CANCELLED);
    assert.equal(op.cancelled, true);
    assert.equal(op.error?.codeName, 'CANCELLED');
  });

  it('11. serialize() and resume() on a new client wait on the same operation to its typed result', async () => {
    const h = server.create({ metadataType: META });
    const token = makeClient().operation<ExportResult>(h.name, types).serialize();
    const resumed = makeClient().resume<ExportResult, ExportMetadata>(token);
    assert.equal(resumed.name, h.name);
    const waiting = resumed.wait();
    h.succeed(RESULT, { uri: 'export://resumed', rowCount: 7 });
    assert.deepEqual(await waiting, { uri: 'export://resumed', rowCount: '7' });
    assert.throws(() => makeClient().resume('nonsense'), /invalid resume token/);
  });

  it('12. wraps a grpc-js Exporter method and reads its operation_info types and progress', async () => {
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

  it('13. a response of another type than declared is an error naming both types', async () => {
    const client = makeClient();
    const h = server.create();
    h.succeed(META, { progressPercent: 100 });
    await assert.rejects(client.operation(h.name, types).wait(), (e: unknown) => {
      assert.ok(UnknownTypeError.is(e));
      assert.match(e.message, /longrunning\.demo\.v1\.ExportResult/);
      assert.match(e.message, /longrunning\.demo\.v1\.ExportMetadata/);
      return true;
    });
  });

  it('14. maxWaitCalls 4 caps open WaitOperation calls, and all 10 waits settle promptly', async () => {
    const client = makeClient({ maxWaitCalls: 4 });
    const handles = Array.from({ length: 10 }, () => server.create());
    const settled: number[] = [];
    const waits = handles.map((h, i) =>
      client
        .operation(h.name)
        .wait()
        .then(() => {
          settled[i] = performance.now();
        }),
    );
    await eventually(() => server.openWaits === 4, '4 open waits');
    const completed: number[] = [];
    for (const [i, h] of handles.entries()) {
      completed[i] = performance.now();
      h.succeed('google.protobuf.Empty', {});
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(waits);
    assert.ok(server.peakOpenWaits <= 4, `peak ${server.peakOpenWaits}`);
    for (const [i, at] of settled.entries()) {
      const lag = at - (completed[i] ?? 0);
      assert.ok(lag < 200, `wait ${i} settled ${lag.toFixed(0)} ms after completion`);
    }
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
