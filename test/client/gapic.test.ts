import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as other from 'grpc-js-other';
import { operationTypesFromMethod } from '../../src/client/gapic.ts';
import { OperationsClient, type OperationsClientOptions } from '../../src/client/grpc-client.ts';
import { builtinRoot, serviceDefinition } from '../../src/proto/builtin.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { RpcError, UnknownTypeError } from '../../src/wire/errors.ts';
import type { RawOperation } from '../../src/wire/types.ts';
import { drive, eventually } from './handle-suite.ts';

const RESULT = 'longrunning.demo.v1.ExportResult';
const START_EXPORT = 'longrunning.demo.v1.Exporter.StartExport';
type ExportResult = { uri: string; rowCount: string };
const exporterDefinition = serviceDefinition(builtinRoot().lookupService('longrunning.demo.v1.Exporter'));

/** A unary method as both grpc-js copies type a generic client's methods. */
type Unary = (...args: unknown[]) => unknown;
function method(client: object, name: string): Unary {
  const m: unknown = Reflect.get(client, name);
  assert.ok(typeof m === 'function', `the stub has ${name}`);
  return (m as Unary).bind(client);
}

/** An Exporter stub made by the second grpc-js copy (grpc-js-other = @grpc/grpc-js 1.13.4). */
function otherExporter(address: string): other.Client {
  const Exporter = other.makeGenericClientConstructor(exporterDefinition, 'Exporter');
  return new Exporter(address, other.credentials.createInsecure());
}

function ourExporter(address: string): grpc.Client {
  const Exporter = grpc.makeGenericClientConstructor(exporterDefinition, 'Exporter');
  return new Exporter(address, grpc.credentials.createInsecure());
}

describe('GAPIC-style use: another grpc-js copy, every calling style, gax shapes', () => {
  let server: FakeOperationsServer;
  const closers: { close(): void }[] = [];
  function makeClient(options: Partial<OperationsClientOptions> = {}): OperationsClient {
    const c = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
      ...options,
    });
    closers.push(c);
    return c;
  }
  function track<T extends { close(): void }>(x: T): T {
    closers.push(x);
    return x;
  }

  before(async () => {
    server = await FakeOperationsServer.start();
  });
  after(async () => {
    for (const c of closers) c.close();
    await server.stop();
  });
  beforeEach(() => server.resetCounters());

  describe('objects of another grpc-js copy', () => {
    it('sends every header of a Metadata of another copy given per call, binary values too', async () => {
      assert.notEqual(other.Metadata, grpc.Metadata, 'two grpc-js copies are loaded');
      const md = new other.Metadata();
      md.set('authorization', 'Bearer per-call');
      md.set('x-trace-bin', Buffer.from([1, 2, 3]));
      const h = server.create();
      await makeClient().getOperation(h.name, { metadata: md });
      assert.equal(server.lastHeaders.GetOperation?.authorization, 'Bearer per-call');
      assert.equal(
        server.lastHeaders.GetOperation?.['x-trace-bin'],
        Buffer.from([1, 2, 3]).toString('base64'),
      );
    });

    it('sends the headers of a Metadata of another copy given in callDefaults, on handle polls too', async () => {
      const md = new other.Metadata();
      md.set('authorization', 'Bearer defaults');
      const client = makeClient({ callDefaults: { metadata: md } });
      const h = server.create();
      await client.operation(h.name).poll();
      assert.equal(server.lastHeaders.GetOperation?.authorization, 'Bearer defaults');
      await client.listOperations({ name: 'operations' });
      assert.equal(server.lastHeaders.ListOperations?.authorization, 'Bearer defaults');
    });

    it('refuses credentials of another copy before any RPC, naming two copies and both fixes', () => {
      const options: Record<string, unknown> = {
        address: server.address,
        credentials: other.credentials.createInsecure(),
      };
      assert.throws(
        () => Reflect.construct(OperationsClient, [options]),
        (e: unknown) =>
          e instanceof TypeError &&
          /options\.credentials/.test(e.message) &&
          /two grpc-js copies/.test(e.message) &&
          /dedupe/.test(e.message) &&
          /`channel`/.test(e.message),
      );
      assert.deepEqual(
        Object.values(server.calls),
        Object.values(server.calls).map(() => 0),
      );
    });

    it('runs over a channel of another copy, the fix the credentials error names', async () => {
      const stub = track(otherExporter(server.address));
      const client = track(new OperationsClient({ channel: stub.getChannel() }));
      const md = new other.Metadata();
      md.set('authorization', 'Bearer shared-channel');
      const h = server.create();
      h.succeed(RESULT, { uri: 'export://x', rowCount: 1 });
      const raw = await client.getOperation(h.name, { metadata: md });
      assert.equal(raw.done, true);
      assert.equal(server.lastHeaders.GetOperation?.authorization, 'Bearer shared-channel');
    });

    it('wraps a stub of another copy: headers of that copy reach the server, failures are RpcErrors', async () => {
      const client = makeClient();
      const stub = track(otherExporter(server.address));
      const start = client.wrap<object, ExportResult>(
        method(stub, 'startExport'),
        operationTypesFromMethod(client.registry, START_EXPORT),
      );
      const md = new other.Metadata();
      md.set('authorization', 'Bearer start');
      const op = await start({ source: 'other', rows: 3, durationMs: 0 }, { metadata: md, timeoutMs: 5000 });
      assert.match(op.name, /^operations\//);
      assert.equal(server.lastHeaders.StartExport?.authorization, 'Bearer start');
      assert.deepEqual(await op.wait(), { uri: 'export://other', rowCount: '3' });

      await start({ source: 'no-headers', rows: 1, durationMs: 0 }, { timeoutMs: 5000 });
      assert.equal(server.calls.StartExport, 2);

      server.inject({ method: 'StartExport', code: grpc.status.PERMISSION_DENIED, times: 1 });
      await assert.rejects(
        start({ source: 'denied', rows: 1, durationMs: 0 }),
        (e: unknown) =>
          RpcError.is(e) && e.code === grpc.status.PERMISSION_DENIED && e.method === 'StartExport',
      );
    });

    it('refuses plain-object headers for a stub of another copy before the call, naming the cause', async () => {
      const stub = track(otherExporter(server.address));
      const start = makeClient().wrap(method(stub, 'startExport'));
      await assert.rejects(
        start({ source: 'x' }, { metadata: { authorization: 'Bearer lost?' } }),
        (e: unknown) =>
          e instanceof TypeError &&
          /two grpc-js copies/.test(e.message) &&
          /Metadata of that copy/.test(e.message),
      );
      assert.equal(server.calls.StartExport, 0);
    });
  });

  describe('calling styles', () => {
    it('wraps the 2-argument callback form (request, callback)', async () => {
      const exporter = track(ourExporter(server.address));
      const startExport = method(exporter, 'startExport');
      const start = makeClient().wrap<{ source: string }, ExportResult>(
        (req, cb) => startExport(req, cb),
        operationTypesFromMethod(server.registry, START_EXPORT),
      );
      const op = await start({ source: 'two-args' });
      assert.deepEqual(await op.wait(), { uri: 'export://two-args', rowCount: '0' });
    });

    it('starts a stub call whose timeoutMs is past what a gRPC deadline holds with no deadline, instead of failing in grpc-js', async () => {
      const exporter = track(ourExporter(server.address));
      const start = makeClient().wrap<{ source: string }, ExportResult>(
        method(exporter, 'startExport'),
        operationTypesFromMethod(server.registry, START_EXPORT),
      );
      for (const timeoutMs of [Number.MAX_SAFE_INTEGER, 1e15]) {
        const op = await start({ source: 'forever' }, { timeoutMs });
        assert.deepEqual(await op.wait(), { uri: 'export://forever', rowCount: '0' });
      }
      assert.equal(server.calls.StartExport, 2);
    });

    it('refuses headers or a timeout for a method whose form cannot take them, before calling it', async () => {
      let calls = 0;
      const start = makeClient().wrap((_req: object, _cb: (e: unknown, v?: unknown) => void) => {
        calls++;
      });
      await assert.rejects(
        start({}, { metadata: { authorization: 'x' } }),
        /cannot be given options\.metadata/,
      );
      await assert.rejects(start({}, { timeoutMs: 10 }), /options\.timeoutMs/);
      assert.equal(calls, 0);
    });

    it('refuses a header gRPC cannot carry before calling a stub, naming the header and not its value', async () => {
      const exporter = track(ourExporter(server.address));
      const start = makeClient().wrap(method(exporter, 'startExport'));
      await assert.rejects(
        start({}, { metadata: { authorization: 'Bearer secret\r\nx-evil: 1' } }),
        (e: unknown) =>
          e instanceof TypeError &&
          /options\.metadata/.test(e.message) &&
          /authorization/.test(e.message) &&
          !/the method threw/.test(e.message) &&
          !/secret/.test(e.message),
      );
      assert.equal(server.calls.StartExport, 0);
    });

    it('wraps a google-gax GAPIC method: (request, options) with no callback, its [operation, …] used', async () => {
      const exporter = track(ourExporter(server.address));
      const startExport = method(exporter, 'startExport');
      const seen: unknown[] = [];
      // The shape of a generated gax method: (request, optionsOrCallback, callback); called
      // with a non-function callback it throws asynchronously (gax: "callback is not a function").
      function longRunningExport(request: unknown, optionsOrCallback?: unknown, callback?: unknown): unknown {
        seen.push(optionsOrCallback);
        const options = (typeof optionsOrCallback === 'object' ? optionsOrCallback : {}) as {
          otherArgs?: { headers?: Record<string, string[]> };
        };
        const md = new grpc.Metadata();
        for (const [k, vs] of Object.entries(options.otherArgs?.headers ?? {}))
          for (const v of vs) md.add(k, v);
        const promise = new Promise<unknown[]>((resolve, reject) => {
          startExport(request, md, {}, (e: unknown, raw: RawOperation) =>
            e
              ? reject(e)
              : resolve([{ latestResponse: raw, name: raw.name, metadata: null }, raw, undefined]),
          );
        });
        if (callback === undefined) return promise;
        void promise.then((r) => (callback as (...a: unknown[]) => void)(null, ...r));
        return undefined;
      }
      const start = makeClient().wrap<object, ExportResult>(
        longRunningExport.bind(null),
        operationTypesFromMethod(server.registry, START_EXPORT),
      );
      const op = await start(
        { source: 'gax', rows: 2, durationMs: 0 },
        { metadata: { authorization: 'Bearer gax' }, timeoutMs: 7000 },
      );
      assert.deepEqual(seen, [{ timeout: 7000, otherArgs: { headers: { authorization: ['Bearer gax'] } } }]);
      assert.equal(server.lastHeaders.StartExport?.authorization, 'Bearer gax');
      assert.deepEqual(await op.wait(), { uri: 'export://gax', rowCount: '2' });

      server.inject({ method: 'StartExport', code: grpc.status.RESOURCE_EXHAUSTED, times: 1 });
      await assert.rejects(
        start({ source: 'quota' }),
        (e: unknown) =>
          RpcError.is(e) && e.code === grpc.status.RESOURCE_EXHAUSTED && e.method === 'longRunningExport',
      );
    });

    it('aborting a gax-style call cancels its promise and rejects with the reason', async () => {
      let cancelled = 0;
      const pending = (_req: unknown, _opts?: unknown, _cb?: unknown) =>
        Object.assign(new Promise<never>(() => {}), {
          cancel: () => {
            cancelled++;
          },
        });
      const controller = new AbortController();
      const started = makeClient().wrap(pending)({}, { signal: controller.signal });
      const reason = new Error('user left');
      controller.abort(reason);
      await assert.rejects(started, (e: unknown) => e === reason);
      assert.equal(cancelled, 1);
    });
  });

  describe('abort', () => {
    it('aborting a grpc-js stub call cancels it, rejects with the reason and emits no warning', async () => {
      const exporter = track(ourExporter(server.address));
      const start = makeClient().wrap(method(exporter, 'startExport'));
      const warnings: Error[] = [];
      const onWarning = (w: Error): void => {
        warnings.push(w);
      };
      process.on('warning', onWarning);
      server.latencyMs = 5000;
      try {
        const controller = new AbortController();
        const started = start({ source: 'aborted' }, { signal: controller.signal });
        await eventually(() => server.calls.StartExport === 1, 'the call reached the server');
        const reason = new Error('user left');
        controller.abort(reason);
        await assert.rejects(started, (e: unknown) => e === reason);
        // grpc-js calls back with CANCELLED once the cancel has gone through.
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
        assert.deepEqual(warnings, []);
      } finally {
        server.latencyMs = 0;
        process.off('warning', onWarning);
      }
    });
  });

  describe('operation() inputs', () => {
    const OperationType = builtinRoot().lookupType('google.longrunning.Operation');
    function decoded(raw: object): object {
      return OperationType.decode(OperationType.encode(OperationType.fromObject(raw)).finish());
    }

    it('takes a protobufjs-decoded Operation, a gax Operation and a GAPIC result tuple', async () => {
      const client = makeClient();
      const response = server.registry.pack(RESULT, { uri: 'export://pbjs', rowCount: 9 });
      const message = decoded({ name: 'operations/pbjs', done: true, response });
      const types = { responseType: RESULT };
      const expected = { uri: 'export://pbjs', rowCount: '9' };
      assert.deepEqual(client.operation(message, types).response, expected);
      assert.deepEqual(client.operation({ latestResponse: message }, types).response, expected);
      const start = client.wrap(async () => [{ latestResponse: message }, message, undefined], types);
      assert.deepEqual(await (await start({})).wait(), expected);
    });

    it('reads a status whose code is a Long, and a not-done protobufjs message whose defaults sit on the prototype', () => {
      const client = makeClient();
      const failed = client.operation({
        name: 'operations/long',
        done: true,
        error: { code: { low: 5, high: 0, unsigned: false }, message: 'gone' },
      });
      assert.equal(failed.error?.code, 5);
      assert.equal(failed.error?.message, 'NOT_FOUND: gone');
      const running = client.operation(decoded({ name: 'operations/running' }));
      assert.equal(running.done, false);
      assert.equal(running.metadata, undefined);
    });
  });

  describe('RpcError.method', () => {
    it('names the RPC of a bound stub whose types come from operationTypesFromMethod', async () => {
      const exporter = track(ourExporter(server.address));
      const client = makeClient();
      const start = client.wrap(
        method(exporter, 'startExport'),
        operationTypesFromMethod(client.registry, START_EXPORT),
      );
      server.inject({ method: 'StartExport', code: grpc.status.INVALID_ARGUMENT, times: 1 });
      await assert.rejects(start({}), (e: unknown) => {
        assert.ok(RpcError.is(e));
        assert.equal(e.method, 'StartExport');
        assert.match(e.message, /\(StartExport\)$/);
        return true;
      });
    });

    for (const [copy, makeStub] of [
      ['ours', ourExporter],
      ['another copy (grpc-js-other)', otherExporter],
    ] as const) {
      it(`names the RPC of a bound stub of ${copy} without declared types, from the path grpc-js hands to interceptors`, async () => {
        const stub = track(makeStub(server.address));
        const start = makeClient().wrap(method(stub, 'startExport'));
        server.inject({ method: 'StartExport', code: grpc.status.INVALID_ARGUMENT, times: 1 });
        await assert.rejects(start({ source: 'x' }), (e: unknown) => {
          assert.ok(RpcError.is(e));
          assert.equal(e.method, 'StartExport');
          assert.match(e.message, /^INVALID_ARGUMENT: .*\(StartExport\)$/);
          return true;
        });
        const op = await start({ source: 'ok', rows: 1, durationMs: 0 });
        assert.match(op.name, /^operations\//);
      });
    }

    it("keeps the interceptors of a stub's client when the RPC's name is known (grpc-js lets call interceptors replace them)", async () => {
      const tagging: grpc.Interceptor = (options, nextCall) =>
        new grpc.InterceptingCall(nextCall(options), {
          start: (metadata, listener, next) => {
            metadata.set('x-client-interceptor', 'ran');
            next(metadata, listener);
          },
        });
      const Exporter = grpc.makeGenericClientConstructor(exporterDefinition, 'Exporter');
      const stub = track(
        new Exporter(server.address, grpc.credentials.createInsecure(), { interceptors: [tagging] }),
      );
      const client = makeClient();
      const start = client.wrap(
        method(stub, 'startExport'),
        operationTypesFromMethod(client.registry, START_EXPORT),
      );
      await start({ source: 'tagged', rows: 1, durationMs: 0 });
      assert.equal(server.lastHeaders.StartExport?.['x-client-interceptor'], 'ran');
    });

    it('drops the `bound ` prefix of a function name', () => {
      const e = new RpcError(5, 'gone', [], 'bound getThing');
      assert.equal(e.method, 'getThing');
      assert.equal(e.message, 'NOT_FOUND: gone (getThing)');
    });
  });

  describe('misuse settles the wrapped promise with a TypeError saying what came back', () => {
    const cases: [string, (...args: never[]) => unknown, RegExp][] = [
      [
        'a method that throws',
        (_req: unknown) => {
          throw new Error('boom');
        },
        /the method threw Error: boom/,
      ],
      [
        'a promise method that returns a number',
        (_req: unknown) => 42,
        /returned a number, not a promise of an Operation/,
      ],
      [
        'a promise that resolves with something else',
        async (_req: unknown) => ({ foo: 1 }),
        /resolved with an object with fields foo, not an Operation/,
      ],
      [
        'a callback with something else',
        (_req: unknown, cb: (e: unknown, v?: unknown) => void) => cb(null, { done: true }),
        /called back with an object with fields done, not an Operation/,
      ],
      [
        'a callback with a bare string (no start method answers with a name)',
        (_req: unknown, cb: (e: unknown, v?: unknown) => void) => cb(null, 'nope'),
        /called back with a string, not an Operation: a bare string is not one \(no start method answers with a name\)/,
      ],
      [
        'a promise that resolves with a bare string',
        async (_req: unknown) => 'operations/looks-like-a-name',
        /resolved with a string, not an Operation: a bare string is not one/,
      ],
      [
        'a method that calls back twice',
        (_req: unknown, cb: (e: unknown, v?: unknown) => void) => {
          cb(null, { name: 'operations/a' });
          cb(null, { name: 'operations/b' });
        },
        /called back twice/,
      ],
    ];
    for (const [title, fn, pattern] of cases) {
      it(`rejects for ${title}`, async () => {
        const start = makeClient().wrap(fn as (req: unknown) => PromiseLike<unknown>);
        await assert.rejects(start({}), (e: unknown) => e instanceof TypeError && pattern.test(e.message));
      });
    }
  });

  describe('per-method polling (OperationTypes.polling)', () => {
    it('wrap() and operation() apply the declared schedule over the client polling; a wait’s own keys win', async () => {
      const clock = new FakeClock();
      const client = makeClient({ clock, polling: { initialDelayMs: 5000 } });
      const polling = { initialDelayMs: 300, multiplier: 1, jitter: 0 };
      const start = client.wrap(async () => server.create(), { polling });
      const h = await start({});
      const waiting = (await Promise.resolve(h)).wait({ strategy: 'poll' });
      await drive(clock, 2);
      server.store.update(h.name, {
        done: true,
        response: server.registry.pack('google.protobuf.Empty', {}),
      });
      await drive(clock, 1);
      await waiting;
      assert.deepEqual(clock.sleeps, [300, 300, 300]);

      const clock2 = new FakeClock();
      const client2 = makeClient({ clock: clock2, polling: { initialDelayMs: 5000 } });
      const h2 = server.create();
      const op = client2.operation(h2.name, { polling });
      const own = op.wait({ strategy: 'poll', polling: { initialDelayMs: 40 } });
      await drive(clock2, 2);
      h2.succeed('google.protobuf.Empty', {});
      await drive(clock2, 1);
      await own;
      assert.deepEqual(
        clock2.sleeps,
        [40, 40, 40],
        'initialDelayMs from the wait, multiplier 1 from the types',
      );
    });

    it('rejects a bad declared polling value when the handle is made, naming it', () => {
      assert.throws(
        () => makeClient().operation('operations/x', { polling: { multiplier: 0.5 } }),
        /polling\.multiplier must be a finite number >= 1 \(got 0\.5\)/,
      );
    });
  });
});

describe('operationTypesFromMethod', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lro-operation-info-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    join(dir, 'jobs.proto'),
    `syntax = "proto3";
package acme.jobs.v1;
import "google/longrunning/operations.proto";
service Jobs {
  rpc Start(StartRequest) returns (google.longrunning.Operation) {
    option (google.longrunning.operation_info) = { response_type: "Missing" metadata_type: "StartRequest" };
  }
  rpc Plain(StartRequest) returns (StartRequest);
}
message StartRequest {}
`,
  );
  const registry = createRegistry().addProtoFiles([join(dir, 'jobs.proto')]);

  it('throws UnknownTypeError naming the method and the type when a type the option names is not in the registry', () => {
    assert.throws(
      () => operationTypesFromMethod(registry, 'acme.jobs.v1.Jobs.Start'),
      (e: unknown) =>
        UnknownTypeError.is(e) &&
        e.typeUrl === 'type.googleapis.com/acme.jobs.v1.Missing' &&
        /method acme\.jobs\.v1\.Jobs\.Start: operation_info type "Missing" is not in the registry/.test(
          e.message,
        ),
    );
  });

  it('throws an Error naming the method when it has no operation_info option, or is not in the registry', () => {
    assert.throws(
      () => operationTypesFromMethod(registry, 'acme.jobs.v1.Jobs.Plain'),
      /method acme\.jobs\.v1\.Jobs\.Plain has no \(google\.longrunning\.operation_info\) option/,
    );
    assert.throws(
      () => operationTypesFromMethod(registry, 'acme.jobs.v1.Jobs.Nope'),
      /method acme\.jobs\.v1\.Jobs\.Nope is not in the registry/,
    );
  });
});
