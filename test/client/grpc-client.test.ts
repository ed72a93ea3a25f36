import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { DEFAULT_MAX_EMPTY_PAGES } from '../../src/client/list-all.ts';
import { builtinRoot, serviceDefinition } from '../../src/proto/builtin.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { OperationError, RpcError, TimeoutError } from '../../src/wire/errors.ts';
import { shownOfError } from '../fixtures/shown-error.ts';
import { eventually } from './handle-suite.ts';
import { rawGrpcServer } from './raw-answers.ts';

const insecure = grpc.credentials.createInsecure();
const registry = createRegistry();

/** `headers` as a grpc Metadata. */
function grpcMetadata(headers: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) md.set(key, value);
  return md;
}

describe('OperationsClient', () => {
  let server: FakeOperationsServer;
  let client: OperationsClient;

  before(async () => {
    server = await FakeOperationsServer.start();
    client = new OperationsClient({ address: server.address, credentials: insecure });
  });
  after(async () => {
    client.close();
    await server.stop();
  });
  beforeEach(() => {
    server.latencyMs = 0;
    server.resetCounters();
  });

  describe('the five RPCs', () => {
    it('gets an operation with its packed metadata', async () => {
      const h = server.create({
        metadataType: 'longrunning.demo.v1.ExportMetadata',
        metadata: { progressPercent: 5 },
      });
      const op = await client.getOperation(h.name);
      assert.equal(op.name, h.name);
      assert.equal(op.done, false);
      assert.deepEqual(op.metadata, { progressPercent: 5, rowsProcessed: '0', state: '' });
      assert.equal(op.raw.metadata?.type_url, 'type.googleapis.com/longrunning.demo.v1.ExportMetadata');
    });

    it('cancels a running operation, which becomes done with CANCELLED', async () => {
      const h = server.create();
      await client.cancelOperation(h.name);
      const op = await client.getOperation(h.name);
      assert.equal(op.done, true);
      assert.equal(op.error?.code, grpc.status.CANCELLED);
    });

    it('deletes an operation, after which it is NOT_FOUND', async () => {
      const h = server.create();
      await client.deleteOperation(h.name);
      await assert.rejects(client.getOperation(h.name), (e: unknown) => RpcError.is(e) && e.code === 5);
    });

    it('waits with WaitOperation and returns the done snapshot', async () => {
      const h = server.create();
      const pending = client.waitOperation(h.name, { timeoutMs: 5000 });
      h.succeed('longrunning.demo.v1.ExportResult', { uri: 'export://x', rowCount: 1 });
      const op = await pending;
      assert.equal(op.done, true);
      assert.equal(op.raw.response?.type_url, 'type.googleapis.com/longrunning.demo.v1.ExportResult');
      assert.deepEqual(op.response, { uri: 'export://x', rowCount: '1' });
    });

    it('lists one page', async () => {
      const h = server.create({ name: 'jobs/list-one/operations/a' });
      const page = await client.listOperations({ name: 'jobs/list-one' });
      assert.deepEqual(
        page.operations.map((o) => o.name),
        [h.name],
      );
      assert.equal(page.nextPageToken, '');
      assert.deepEqual(page.unreachable, []);
    });

    it('lists handles that can be read and waited on at once, and typed by operation()', async () => {
      const running = server.create({
        name: 'jobs/list-handles/operations/running',
        metadataType: 'longrunning.demo.v1.ExportMetadata',
        metadata: { progressPercent: 40 },
      });
      const failed = server.create({ name: 'jobs/list-handles/operations/failed' });
      failed.fail({ code: grpc.status.PERMISSION_DENIED, message: 'no access' });
      const page = await client.listOperations({ name: 'jobs/list-handles' });
      const byName = new Map(page.operations.map((op) => [op.name, op]));
      const listedRunning = byName.get(running.name);
      const listedFailed = byName.get(failed.name);
      assert.ok(listedRunning && listedFailed, 'both operations are listed');
      assert.deepEqual(listedRunning.metadata, { progressPercent: 40, rowsProcessed: '0', state: '' });
      assert.equal(listedRunning.progress, 40);
      assert.equal(listedFailed.error?.code, grpc.status.PERMISSION_DENIED);
      assert.equal(listedFailed.error?.message, 'PERMISSION_DENIED: no access');
      const gets = server.calls.GetOperation;
      const typed = client.operation<{ uri: string }>(listedRunning, {
        responseType: 'longrunning.demo.v1.ExportResult',
      });
      assert.equal(typed.raw, listedRunning.raw, "operation(handle) takes the handle's snapshot");
      const result = typed.wait({ strategy: 'poll', polling: { initialDelayMs: 1, maxDelayMs: 1 } });
      running.succeed('longrunning.demo.v1.ExportResult', { uri: 'export://listed', rowCount: 2 });
      assert.deepEqual(await result, { uri: 'export://listed', rowCount: '2' });
      assert.ok(server.calls.GetOperation > gets, 'the listed handle polled the server');
      const before = server.calls.GetOperation;
      await assert.rejects(listedFailed.wait(), (e: unknown) => e instanceof OperationError && e.code === 7);
      assert.equal(server.calls.GetOperation, before, 'a listed done operation is never fetched again');
    });

    it('rejects an unknown name with RpcError NOT_FOUND', async () => {
      for (const call of [
        () => client.getOperation('operations/missing'),
        () => client.cancelOperation('operations/missing'),
        () => client.deleteOperation('operations/missing'),
        () => client.waitOperation('operations/missing', { timeoutMs: 100 }),
      ]) {
        await assert.rejects(call(), (e: unknown) => {
          assert.ok(RpcError.is(e));
          assert.equal(e.code, 5);
          assert.equal(e.codeName, 'NOT_FOUND');
          assert.match(e.message, /^NOT_FOUND: /);
          return true;
        });
      }
    });

    it('rejects an empty or non-string name with TypeError and sends no RPC', async () => {
      const bad: unknown[] = ['', undefined, null, 42, {}];
      for (const name of bad) {
        await assert.rejects(client.getOperation(name as string), TypeError);
        await assert.rejects(client.cancelOperation(name as string), TypeError);
        await assert.rejects(client.deleteOperation(name as string), TypeError);
        await assert.rejects(client.waitOperation(name as string, { timeoutMs: 1 }), TypeError);
        assert.throws(() => client.operation(name as string), TypeError);
      }
      assert.deepEqual(
        [
          server.calls.GetOperation,
          server.calls.CancelOperation,
          server.calls.DeleteOperation,
          server.calls.WaitOperation,
        ],
        [0, 0, 0, 0],
      );
    });
  });

  describe('listAllOperations', () => {
    const prefix = 'projects/paging/operations';
    before(() => {
      for (let i = 0; i < 1000; i++) {
        const h = server.create({ name: `${prefix}/op-${String(i).padStart(4, '0')}` });
        if (i % 3 === 0) h.succeed('google.protobuf.Empty', {});
      }
    });

    it('yields all 1,000 operations in order in 10 ListOperations calls of 100', async () => {
      const names: string[] = [];
      for await (const op of client.listAllOperations({ name: prefix, pageSize: 100 })) names.push(op.name);
      assert.equal(names.length, 1000);
      assert.deepEqual(names, [...names].sort());
      assert.equal(names[0], `${prefix}/op-0000`);
      assert.equal(server.calls.ListOperations, 10);
    });

    it('yields only done operations with filter done=true', async () => {
      const ops = [];
      for await (const op of client.listAllOperations({ name: prefix, pageSize: 100, filter: 'done=true' }))
        ops.push(op);
      assert.equal(ops.length, 334);
      assert.ok(ops.every((o) => o.done));
    });

    it('yields at most limit operations and fetches no page beyond them', async () => {
      const names: string[] = [];
      for await (const op of client.listAllOperations({ name: prefix, pageSize: 2 }, { limit: 3 }))
        names.push(op.name);
      assert.deepEqual(names, [`${prefix}/op-0000`, `${prefix}/op-0001`, `${prefix}/op-0002`]);
      assert.equal(server.calls.ListOperations, 2);
      for await (const _ of client.listAllOperations({ name: prefix }, { limit: 0 }))
        assert.fail('limit 0 yields nothing');
      assert.equal(server.calls.ListOperations, 2, 'limit 0 fetches nothing');
    });

    it('throws the signal reason at the next operation once aborted, and fetches no further page', async () => {
      const controller = new AbortController();
      const reason = new Error('enough');
      const names: string[] = [];
      await assert.rejects(
        async () => {
          for await (const op of client.listAllOperations(
            { name: prefix, pageSize: 5 },
            { signal: controller.signal },
          )) {
            names.push(op.name);
            if (names.length === 2) controller.abort(reason);
          }
        },
        (e: unknown) => e === reason,
      );
      assert.equal(names.length, 2);
      assert.equal(server.calls.ListOperations, 1);
    });

    it('rejects bad limit and maxEmptyPages with errors naming them, before any RPC', async () => {
      const walk = async (options: object) => {
        for await (const _ of client.listAllOperations({ name: prefix }, options)) break;
      };
      await assert.rejects(walk({ limit: -1 }), /limit must be a whole number >= 0 \(got -1\)/);
      await assert.rejects(walk({ limit: 1.5 }), RangeError);
      await assert.rejects(walk({ limit: '3' }), /limit must be a number \(got string\)/);
      await assert.rejects(walk({ maxEmptyPages: 0 }), /maxEmptyPages must be a whole number >= 1/);
      assert.equal(server.calls.ListOperations, 0);
    });

    it('stops with RpcError INTERNAL after a run of empty pages that each bring a new token', async () => {
      let pages = 0;
      const paging = await rawGrpcServer(
        () => Buffer.alloc(0),
        // Pages forever, as far as a client can tell (the last page after 1000 only bounds the test).
        () => ({ operations: [], nextPageToken: ++pages < 1000 ? `fresh-${pages}` : '' }),
      );
      const c = new OperationsClient({ address: paging.address, credentials: insecure });
      try {
        for (const [maxEmptyPages, expected] of [
          [undefined, DEFAULT_MAX_EMPTY_PAGES],
          [5, 5],
        ] as const) {
          pages = 0;
          await assert.rejects(
            async () => {
              for await (const _ of c.listAllOperations(
                {},
                maxEmptyPages === undefined ? {} : { maxEmptyPages },
              ))
                assert.fail('no operation to yield');
            },
            (e: unknown) =>
              RpcError.is(e) &&
              e.code === grpc.status.INTERNAL &&
              e.method === 'ListOperations' &&
              e.message.includes(`${expected} empty pages in a row`),
          );
          assert.equal(pages, expected);
        }
      } finally {
        c.close();
        await paging.stop();
      }
    });

    it('rejects a bad page token with RpcError INVALID_ARGUMENT', async () => {
      await assert.rejects(
        client.listOperations({ name: prefix, pageToken: 'not-a-token' }),
        (e: unknown) => RpcError.is(e) && e.code === grpc.status.INVALID_ARGUMENT,
      );
    });
  });

  describe('retries', () => {
    it('succeeds on the 3rd attempt after UNAVAILABLE twice', async () => {
      const h = server.create();
      server.inject({ method: 'GetOperation', code: grpc.status.UNAVAILABLE, times: 2 });
      const op = await client.getOperation(h.name);
      assert.equal(op.name, h.name);
      assert.equal(server.calls.GetOperation, 3);
    });

    it('makes one attempt with retry: false', async () => {
      const h = server.create();
      server.inject({ method: 'GetOperation', code: grpc.status.UNAVAILABLE, times: 2 });
      await assert.rejects(
        client.getOperation(h.name, { retry: false }),
        (e: unknown) => RpcError.is(e) && e.code === grpc.status.UNAVAILABLE,
      );
      assert.equal(server.calls.GetOperation, 1);
      await client.getOperation(h.name); // drains the second fault
    });

    it('never retries INVALID_ARGUMENT', async () => {
      const h = server.create();
      server.inject({ method: 'GetOperation', code: grpc.status.INVALID_ARGUMENT, times: 1 });
      await assert.rejects(client.getOperation(h.name), (e: unknown) => RpcError.is(e) && e.code === 3);
      assert.equal(server.calls.GetOperation, 1);
    });

    it('retries RESOURCE_EXHAUSTED carrying RetryInfo after exactly its delay', async () => {
      const clock = new FakeClock();
      const timed = new OperationsClient({ address: server.address, credentials: insecure, clock });
      try {
        const h = server.create();
        server.inject({
          method: 'GetOperation',
          code: grpc.status.RESOURCE_EXHAUSTED,
          details: [registry.pack('google.rpc.RetryInfo', { retryDelay: { nanos: 300_000_000 } })],
        });
        const pending = timed.getOperation(h.name);
        assert.equal(await clock.untilSleeping(), 300);
        assert.equal(server.calls.GetOperation, 1, 'no second attempt before the delay');
        await clock.advance(299);
        assert.equal(server.calls.GetOperation, 1, 'still none 1 ms before');
        await clock.advance(1);
        assert.equal((await pending).name, h.name);
        assert.deepEqual(clock.sleeps, [300]);
        assert.equal(server.calls.GetOperation, 2);
      } finally {
        timed.close();
      }
    });

    it('does not retry RESOURCE_EXHAUSTED without RetryInfo', async () => {
      const h = server.create();
      server.inject({ method: 'GetOperation', code: grpc.status.RESOURCE_EXHAUSTED });
      await assert.rejects(client.getOperation(h.name), (e: unknown) => RpcError.is(e) && e.code === 8);
      assert.equal(server.calls.GetOperation, 1);
    });
  });

  describe('deadlines and abort', () => {
    it('fails with DEADLINE_EXCEEDED against a server that would answer in a minute, its attempt given a deadline timeoutMs away', async () => {
      const h = server.create();
      /** How far away each attempt's deadline was when grpc-js started it, in ms. */
      const deadlines: number[] = [];
      const interceptor: grpc.Interceptor = (options, next) => {
        deadlines.push(Number(options.deadline) - Date.now());
        return new grpc.InterceptingCall(next(options));
      };
      const timed = new OperationsClient({
        address: server.address,
        credentials: insecure,
        channelOptions: { interceptors: [interceptor] },
      });
      try {
        await timed.getOperation(h.name); // connected, so the timed call reaches the server
        server.resetCounters();
        server.latencyMs = 60_000;
        await assert.rejects(
          // 1 s: long enough for the call to reach the server on a loaded machine.
          timed.getOperation(h.name, { timeoutMs: 1000, retry: false }),
          (e: unknown) => RpcError.is(e) && e.code === grpc.status.DEADLINE_EXCEEDED,
        );
        const left = deadlines.at(-1) ?? Number.NaN;
        assert.ok(left > 0 && left <= 1000, `the attempt's deadline was ${left} ms away`);
        assert.equal(server.calls.GetOperation, 1, 'one attempt: its deadline ended it, not an answer');
      } finally {
        timed.close();
      }
    });

    it('rejects within one event-loop turn with the signal reason when aborted mid-call', async () => {
      const h = server.create();
      server.latencyMs = 60_000;
      const controller = new AbortController();
      const pending = client.getOperation(h.name, { signal: controller.signal });
      let settled = false;
      pending.catch(() => {
        settled = true;
      });
      await eventually(() => server.calls.GetOperation === 1, 'the call to reach the server');
      const reason = new Error('user gave up');
      controller.abort(reason);
      await new Promise((r) => setImmediate(r));
      assert.equal(settled, true, 'settled within one event-loop turn of the abort');
      await assert.rejects(pending, (e: unknown) => e === reason);
    });

    it('rejects with the reason of an already-aborted signal and sends nothing', async () => {
      const h = server.create();
      const reason = new Error('already');
      await assert.rejects(
        client.getOperation(h.name, { signal: AbortSignal.abort(reason) }),
        (e: unknown) => e === reason,
      );
      assert.equal(server.calls.GetOperation, 0);
    });
  });

  describe('WaitOperation timing', () => {
    it('returns the done snapshot when the operation completes, long before its one-minute timeout', async () => {
      const h = server.create();
      const pending = client.waitOperation(h.name, { timeoutMs: 60_000 });
      await eventually(() => server.openWaits === 1, 'the WaitOperation call to be held');
      h.succeed('google.protobuf.Empty', {});
      const op = await pending;
      assert.equal(op.done, true);
      assert.equal(server.openWaits, 0);
      assert.equal(server.calls.WaitOperation, 1);
    });

    it('asks the server to hold the wait for timeoutMs, and returns the running snapshot it answers with then', async () => {
      const serverClock = new FakeClock(0);
      const timed = await FakeOperationsServer.start({ clock: serverClock });
      const c = new OperationsClient({ address: timed.address, credentials: insecure });
      try {
        const h = timed.create();
        let settled = false;
        const pending = c.waitOperation(h.name, { timeoutMs: 60_000 }).finally(() => {
          settled = true;
        });
        assert.equal(await serverClock.untilSleeping(), 60_000, 'the server holds the wait for timeoutMs');
        await serverClock.advance(59_999);
        assert.equal(settled, false, 'answered before its timeout');
        await serverClock.advance(1);
        const op = await pending;
        assert.equal(op.done, false);
        assert.equal(timed.calls.WaitOperation, 1);
      } finally {
        c.close();
        await timed.stop();
      }
    });
  });

  describe('credentials a server echoes into its errors', () => {
    const authorization = 'Bearer lr-echo-token-5b1e0c9d';
    const apiKey = 'AIza-lr-echo-key-77c3a0';
    const headers = { authorization, 'x-goog-api-key': apiKey };
    const echo = ['authorization', 'x-goog-api-key'];

    function assertNoSecret(error: unknown): void {
      const text = shownOfError(error);
      for (const secret of [authorization, authorization.slice('Bearer '.length), apiKey]) {
        assert.equal(text.includes(secret), false, `${secret} shown in ${text.slice(0, 400)}`);
      }
    }
    const rejection = (p: Promise<unknown>): Promise<unknown> =>
      p.then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );

    it('keeps the values of callDefaults.metadata and per-call metadata out of an RpcError (message, details, cause)', async () => {
      const withDefaults = new OperationsClient({
        address: server.address,
        credentials: insecure,
        callDefaults: { metadata: headers },
      });
      try {
        const h = server.create();
        for (const [label, call] of [
          ['callDefaults.metadata', () => withDefaults.getOperation(h.name)],
          ['per-call metadata', () => client.getOperation(h.name, { metadata: headers })],
          ['per-call Metadata', () => client.getOperation(h.name, { metadata: grpcMetadata(headers) })],
        ] as const) {
          server.inject({
            method: 'GetOperation',
            code: grpc.status.PERMISSION_DENIED,
            message: 'denied',
            echoHeaders: echo,
            details: [
              registry.pack('google.rpc.ErrorInfo', { reason: 'DENIED', metadata: { seen: authorization } }),
            ],
          });
          const error = await rejection(call());
          assert.equal(server.lastHeaders.GetOperation?.authorization, authorization, `${label}: sent`);
          assert.ok(RpcError.is(error) && error.code === grpc.status.PERMISSION_DENIED, label);
          assert.equal(
            error.message,
            'PERMISSION_DENIED: denied (authorization: [REDACTED], x-goog-api-key: [REDACTED]) (GetOperation)',
            label,
          );
          assert.deepEqual(error.findDetails('google.rpc.ErrorInfo'), [
            { reason: 'DENIED', domain: '', metadata: { seen: '[REDACTED]' } },
          ]);
          assertNoSecret(error);
        }
      } finally {
        withDefaults.close();
      }
    });

    it("keeps them out of an operation's error (OperationError message and details, a listed operation)", async () => {
      const h = server.create().fail({
        code: grpc.status.PERMISSION_DENIED,
        message: `job could not read with ${authorization} or key ${apiKey}`,
        details: [registry.pack('google.rpc.ErrorInfo', { reason: 'DENIED', metadata: { seen: apiKey } })],
      });
      const failed = await rejection(client.operation(h.name).wait({ metadata: headers }));
      assert.ok(OperationError.is(failed), String(failed));
      assert.equal(failed.rawMessage, 'job could not read with [REDACTED] or key [REDACTED]');
      assert.deepEqual(failed.findDetails('google.rpc.ErrorInfo'), [
        { reason: 'DENIED', domain: '', metadata: { seen: '[REDACTED]' } },
      ]);
      assertNoSecret(failed);
      const page = await client.listOperations(
        { filter: 'done=true', pageSize: 1000 },
        { metadata: headers },
      );
      const listed = page.operations.find((op) => op.name === h.name);
      assert.ok(listed?.error !== undefined, 'the failed operation is listed with its error');
      assert.equal(
        listed.error.message,
        'PERMISSION_DENIED: job could not read with [REDACTED] or key [REDACTED]',
      );
      // Without credentials sent there is nothing to redact: the message is the server's.
      const plain = await client.getOperation(h.name);
      assert.equal(
        plain.error?.message,
        `PERMISSION_DENIED: job could not read with ${authorization} or key ${apiKey}`,
      );
    });

    it("keeps them out of a wait's rejection and of a TimeoutError whose last poll failed", async () => {
      const clock = new FakeClock(0);
      // A server of its own: the faults injected here outlive the test.
      const echoing = await FakeOperationsServer.start();
      const c = new OperationsClient({
        address: echoing.address,
        credentials: insecure,
        callDefaults: { metadata: headers },
        clock,
      });
      try {
        echoing.inject({ method: 'WaitOperation', code: grpc.status.PERMISSION_DENIED, echoHeaders: echo });
        const failed = await rejection(c.operation(echoing.create().name).wait());
        assert.ok(RpcError.is(failed) && failed.method === 'WaitOperation', String(failed));
        assertNoSecret(failed);

        echoing.inject({
          method: 'GetOperation',
          code: grpc.status.UNAVAILABLE,
          times: 100,
          echoHeaders: echo,
        });
        const waiting = rejection(
          c.operation(echoing.create().name).wait({ strategy: 'poll', timeoutMs: 5000, retry: false }),
        );
        let settled = false;
        void waiting.finally(() => {
          settled = true;
        });
        // Bounded: each turn advances the clock to its next sleep; the wait ends at 5 s.
        for (let i = 0; i < 50 && !settled; i++) {
          await clock.untilSleeping().catch(() => 0);
          if (clock.nextDueAt() !== undefined) await clock.advanceToNext();
        }
        const timedOut = await waiting;
        assert.ok(TimeoutError.is(timedOut), String(timedOut));
        assert.match(
          timedOut.message,
          /last poll failed: UNAVAILABLE: injected UNAVAILABLE \(authorization: \[REDACTED\]/,
        );
        assertNoSecret(timedOut);
      } finally {
        c.close();
        await echoing.stop();
      }
    });
  });

  describe('channels', () => {
    it('shares another grpc-js client channel, and closing either leaves the other working', async () => {
      const definition = serviceDefinition(builtinRoot().lookupService('google.longrunning.Operations'));
      const Generic = grpc.makeGenericClientConstructor(definition, 'Operations');
      const gapic = new Generic(server.address, insecure);
      const shared = new OperationsClient({ channel: gapic.getChannel() });
      const h = server.create();
      assert.equal((await shared.getOperation(h.name)).name, h.name);
      shared.close();
      const getOperation = gapic.getOperation;
      assert.ok(getOperation);
      const viaGapic = await new Promise<{ name: string }>((resolve, reject) =>
        getOperation.call(gapic, { name: h.name }, (e: grpc.ServiceError | null, v: { name: string }) =>
          e ? reject(e) : resolve(v),
        ),
      );
      assert.equal(viaGapic.name, h.name, 'the GAPIC client still works after the shared client closed');

      const second = new OperationsClient({ channel: gapic.getChannel() });
      gapic.close();
      await assert.rejects(second.getOperation(h.name), 'a channel closed by its owner is closed for all');
      second.close();
    });

    it('uses TLS unless told otherwise, so a plaintext server fails clearly', async () => {
      const tls = new OperationsClient({
        address: server.address,
        callDefaults: { retry: false, timeoutMs: 2000 },
      });
      try {
        await assert.rejects(
          tls.getOperation('operations/x'),
          (e: unknown) => RpcError.is(e) && e.code === 14,
        );
      } finally {
        tls.close();
      }
    });

    it('refuses calls after close()', async () => {
      const c = new OperationsClient({ address: server.address, credentials: insecure });
      c.close();
      await assert.rejects(c.getOperation('operations/x'), /closed/);
    });
  });
});
