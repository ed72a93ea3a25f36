/**
 * The Operation-handle behaviour tests, parameterised over a transport: the same
 * sentences run against gRPC, HTTP/JSON without a WaitOperation binding (where the tests
 * that need WaitOperation show the fallback to GetOperation polling instead), and
 * HTTP/JSON with a `:wait` rule. All targets talk to one FakeOperationsServer over loopback.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { PollingOptions } from '../../src/base/backoff.ts';
import { type Clock, systemClock } from '../../src/base/clock.ts';
import type { OperationsApi } from '../../src/client/client-core.ts';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import type { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import type { CallOptions } from '../../src/transport/operations-transport.ts';
import { OperationError, RpcError, TimeoutError, UnknownTypeError } from '../../src/wire/errors.ts';
import type { RawOperation } from '../../src/wire/types.ts';

export const META = 'longrunning.demo.v1.ExportMetadata';
export const RESULT = 'longrunning.demo.v1.ExportResult';
export type ExportResult = { uri: string; rowCount: string };
export type ExportMetadata = { progressPercent: number; rowsProcessed: string; state: string };
const types = { responseType: RESULT, metadataType: META };
const registry = createRegistry();

/** Options every target's client accepts. */
export interface ClientOptions {
  clock?: Clock;
  polling?: PollingOptions;
  callDefaults?: CallOptions;
  maxWaitCalls?: number;
}

/** A way to reach the fake server. */
export interface Target {
  readonly title: string;
  /** True when the client has WaitOperation (gRPC, or HTTP with a wait rule). */
  readonly hasWait: boolean;
  client(server: FakeOperationsServer, options: ClientOptions): OperationsApi;
}

/** The wait rule the fake server's HTTP gateway serves. */
export const WAIT_RULE = 'POST /v1/{name=operations/**}:wait';

export const TARGETS: readonly Target[] = [
  {
    title: 'gRPC',
    hasWait: true,
    client: (server, options) =>
      new OperationsClient({
        address: server.address,
        credentials: grpc.credentials.createInsecure(),
        ...options,
      }),
  },
  {
    title: 'HTTP/JSON (no WaitOperation binding)',
    hasWait: false,
    client: (server, options) => new OperationsRestClient({ baseUrl: server.httpUrl, ...options }),
  },
  {
    title: 'HTTP/JSON with a wait rule',
    hasWait: true,
    client: (server, options) =>
      new OperationsRestClient({ baseUrl: server.httpUrl, rules: { wait: WAIT_RULE }, ...options }),
  },
];

/** Advances the fake clock past `n` loop sleeps, letting each poll's real request finish first. */
export async function drive(clock: FakeClock, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await clock.untilSleeping();
    await clock.advanceToNext();
  }
}

/** Waits (bounded, real time: about 5 s, room for a busy CI machine) until `check` holds. */
export async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(check(), `timed out waiting for ${what}`);
}

/** Settles as `promise` does, or rejects naming `what` after 5 s of real time (a hang guard, not a timing assertion). */
async function hangGuard<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within 5 s (a hang)`)), 5000);
  });
  try {
    return await Promise.race([promise, hang]);
  } finally {
    clearTimeout(timer);
  }
}

function timerCount(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** The system clock, counting the sleeps in progress (so a test can tell when a wait sleeps). */
function countingClock(): Clock & { readonly sleeping: number } {
  let sleeping = 0;
  return {
    now: () => systemClock.now(),
    sleep: (ms, signal) => {
      sleeping++;
      return systemClock.sleep(ms, signal).finally(() => {
        sleeping--;
      });
    },
    get sleeping() {
      return sleeping;
    },
  };
}

/** True once `promise` has settled, checked after one event-loop turn. */
async function settledWithinOneTurn(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await new Promise((r) => setImmediate(r));
  return settled;
}

/** Registers the handle behaviour tests for `target`; `FakeClock` is passed in to keep this file free of testing imports. */
export function handleSuite(target: Target, makeClock: () => FakeClock): void {
  describe(`Operation handle over ${target.title}`, () => {
    let server: FakeOperationsServer;
    const clients: OperationsApi[] = [];
    const makeClient = (options: ClientOptions = {}): OperationsApi => {
      const c = target.client(server, options);
      clients.push(c);
      return c;
    };

    before(async () => {
      server = await FakeOperationsServer.start({ http: true });
    });
    after(async () => {
      for (const c of clients) c.close();
      await server.stop();
    });
    beforeEach(() => server.resetCounters());

    it('settles an already-done operation with zero calls', async () => {
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
      assert.equal(
        Object.values(server.calls).reduce((a, b) => a + b, 0),
        0,
      );
    });

    it('polls with delays of exactly 1000, 2000, 4000, 4000 (jitter 0)', async () => {
      const clock = makeClock();
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
    });

    it('keeps every jittered delay (jitter 0.2) within [0.8, 1.2]× its step and never above the cap', async () => {
      const clock = makeClock();
      const client = makeClient({ clock });
      const h = server.create();
      const polling = { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 4000, jitter: 0.2 };
      const waiting = client.operation(h.name).wait({ strategy: 'poll', polling });
      await drive(clock, 12);
      h.succeed('google.protobuf.Empty', {});
      await drive(clock, 1);
      await waiting;
      assert.equal(clock.sleeps.length, 13);
      for (const [i, delay] of clock.sleeps.entries()) {
        const step = [1000, 2000][i] ?? 4000;
        assert.ok(delay >= 0.8 * step && delay <= 1.2 * step, `delay ${i} = ${delay} for step ${step}`);
        assert.ok(delay <= 4000, `delay ${i} = ${delay} above the cap`);
      }
    });

    if (target.hasWait) {
      it('auto notices completion through the one held WaitOperation call, with no GetOperation', async () => {
        const client = makeClient();
        const h = server.create();
        const waiting = client.operation(h.name).wait();
        await eventually(() => server.openWaits === 1, 'the WaitOperation call to open');
        h.succeed('google.protobuf.Empty', {});
        await waiting;
        assert.equal(server.calls.GetOperation, 0);
        assert.equal(server.calls.WaitOperation, 1);
      });
    } else {
      it('auto falls back to GetOperation polling with backoff: there is no WaitOperation to call', async () => {
        const clock = makeClock();
        const client = makeClient({ clock, polling: { jitter: 0 } });
        assert.equal(client.transport.wait, undefined);
        await assert.rejects(client.waitOperation('operations/x', { timeoutMs: 1 }), TypeError);
        const h = server.create();
        const waiting = client.operation(h.name).wait();
        await drive(clock, 2);
        h.succeed('google.protobuf.Empty', {});
        await drive(clock, 1);
        await waiting;
        assert.deepEqual(clock.sleeps, [1000, 1500, 2250]);
        assert.equal(server.calls.WaitOperation, 0);
        assert.equal(server.calls.GetOperation, 4);
      });
    }

    it('times out after polls at 0, 4000, 8000 and a final one at 10,000, carrying the last snapshot', async () => {
      const clock = makeClock();
      const client = makeClient({ clock });
      const h = server.create({ metadataType: META, metadata: { state: 'RUNNING' } });
      const waiting = client.operation(h.name).wait({
        strategy: 'poll',
        timeoutMs: 10_000,
        polling: { initialDelayMs: 4000, multiplier: 1, maxDelayMs: 4000, jitter: 0 },
      });
      const outcome = waiting.then(
        () => assert.fail('expected a timeout'),
        (e: unknown) => e,
      );
      const pollTimes: number[] = [];
      for (let i = 0; i < 3; i++) {
        await clock.untilSleeping();
        pollTimes.push(clock.now());
        await clock.advanceToNext();
      }
      const error = await outcome;
      pollTimes.push(clock.now());
      assert.ok(TimeoutError.is(error));
      assert.deepEqual(pollTimes, [0, 4000, 8000, 10_000]);
      assert.equal(server.calls.GetOperation, 4);
      assert.equal(error.polls, 4);
      assert.equal(error.lastSnapshot?.name, h.name);
      assert.equal(h.done, false, 'the server operation is not cancelled');
    });

    it('a failed operation rejects with OperationError keeping code, details and the final snapshot', async () => {
      const client = makeClient({ polling: { initialDelayMs: 5 } });
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
        assert.equal(e.message, 'FAILED_PRECONDITION: source t1 is locked');
        assert.deepEqual(e.findDetails('google.rpc.ErrorInfo'), [
          { reason: 'LOCKED', domain: 'acme', metadata: {} },
        ]);
        assert.equal(e.operation.done, true);
        return true;
      });
      assert.equal(op.error?.code, 9);
    });

    it('survives UNAVAILABLE on 3 polls in a row; PERMISSION_DENIED rejects at once; the handle stays usable', async () => {
      const clock = makeClock();
      const client = makeClient({ clock, callDefaults: { retry: false } });
      const method = target.hasWait ? 'WaitOperation' : 'GetOperation';
      const h = server.create();
      server.inject({ method, code: grpc.status.UNAVAILABLE, times: 3 });
      const waiting = client.operation(h.name).wait();
      await drive(clock, 3);
      h.succeed('google.protobuf.Empty', {});
      // A poll that holds (WaitOperation) returns on completion; GetOperation needs one more round.
      if (!target.hasWait) await drive(clock, 1);
      assert.deepEqual(await waiting, {});
      assert.equal(server.calls[method], target.hasWait ? 4 : 5);

      const denied = server.create();
      const op2 = client.operation(denied.name);
      server.inject({ method, code: grpc.status.PERMISSION_DENIED });
      await assert.rejects(
        op2.wait(),
        (e: unknown) => RpcError.is(e) && e.code === grpc.status.PERMISSION_DENIED,
      );
      assert.equal(clock.pendingSleeps, 0, 'no poll scheduled after the failure');
      denied.succeed('google.protobuf.Empty', {});
      assert.deepEqual(await op2.wait(), {}, 'wait() works again on the same handle');
    });

    it('abort during a sleep rejects within one event-loop turn, leaves no timer, and with cancelOnAbort cancels on the server', async () => {
      const clock = countingClock();
      const client = makeClient({ clock, polling: { initialDelayMs: 60_000 } });
      const h = server.create();
      const baseline = timerCount();
      const controller = new AbortController();
      const waiting = client.operation(h.name).wait({ strategy: 'poll', signal: controller.signal });
      await eventually(
        () => server.calls.GetOperation === 1 && clock.sleeping === 1,
        'the sleep after the first poll',
      );
      const reason = new Error('stop');
      controller.abort(reason);
      assert.equal(await settledWithinOneTurn(waiting), true, 'rejected within one event-loop turn');
      await assert.rejects(waiting, (e: unknown) => e === reason);
      assert.equal(clock.sleeping, 0, 'the sleep ended with the abort');
      assert.equal(timerCount(), baseline, 'no timer left by the library');

      const cancelling = new AbortController();
      const waiting2 = client
        .operation(h.name)
        .wait({ strategy: 'poll', signal: cancelling.signal, cancelOnAbort: true });
      await eventually(() => server.calls.GetOperation === 2, 'the first poll');
      cancelling.abort();
      await assert.rejects(waiting2, (e: unknown) => e instanceof DOMException && e.name === 'AbortError');
      await eventually(() => server.calls.CancelOperation === 1, 'CancelOperation');
      assert.equal(h.snapshot.error?.code, grpc.status.CANCELLED);
    });

    it('100 waiters on one name share one loop; aborting 99 keeps it going; aborting all stops it', async () => {
      const clock = makeClock();
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

    it('onProgress and watch() see only the snapshots whose metadata changed, plus the final one', async () => {
      for (const mode of ['onProgress', 'watch'] as const) {
        const clock = makeClock();
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
        await drive(clock, 1);
        h.setMetadata({ progressPercent: 20 });
        await drive(clock, 1);
        await drive(clock, 1);
        h.setMetadata({ progressPercent: 60 });
        await drive(clock, 1);
        h.succeed(RESULT, { uri: 'export://p', rowCount: 1 });
        await drive(clock, 1);
        await result;
        assert.deepEqual(seen, [20, 60, -1], mode);
        assert.equal(op.progress, 60);
      }
    });

    it('watch() hands a consumer slower than the changes only the latest snapshot, and ends at the next next() after abort', async () => {
      const clock = makeClock();
      const client = makeClient({ clock, polling: { initialDelayMs: 1000, multiplier: 1, jitter: 0 } });
      const h = server.create({ metadataType: META, metadata: { progressPercent: 0 } });
      const op = client.operation<ExportResult, ExportMetadata>(await client.getOperation(h.name), types);
      const controller = new AbortController();
      const watching = op.watch({ strategy: 'poll', signal: controller.signal });
      const first = watching.next();
      await drive(clock, 1);
      h.setMetadata({ progressPercent: 10 });
      await drive(clock, 1);
      assert.equal((await first).value?.metadata?.progressPercent, 10);
      // The consumer is busy while three more changes arrive.
      for (const percent of [20, 30, 40]) {
        h.setMetadata({ progressPercent: percent });
        await drive(clock, 1);
      }
      // drive() returns with the last poll in flight: let its answer land (the loop sleeps again).
      await clock.untilSleeping();
      assert.equal((await watching.next()).value?.metadata?.progressPercent, 40, 'the latest, not 20');
      h.setMetadata({ progressPercent: 50 });
      await drive(clock, 1);
      const reason = new Error('user left');
      controller.abort(reason);
      await assert.rejects(watching.next(), (e: unknown) => e === reason, 'no snapshot after the abort');
      assert.deepEqual(await watching.next(), { value: undefined, done: true });
      const polls = server.calls.GetOperation;
      await clock.advance(60_000);
      assert.equal(server.calls.GetOperation, polls, 'polling stopped');
    });

    it('rejects with the last RpcError once polls have failed for failureBudgetMs, reporting each retry to onRetry', async () => {
      const clock = makeClock();
      const client = makeClient({ clock, callDefaults: { retry: false } });
      const h = server.create();
      server.inject({ method: 'GetOperation', code: grpc.status.UNAVAILABLE, times: 5 });
      const retries: [number, number, number][] = [];
      const waiting = client.operation(h.name).wait({
        strategy: 'poll',
        polling: { initialDelayMs: 1000, multiplier: 1, jitter: 0, failureBudgetMs: 3500 },
        onRetry: (error, attempt, nextDelayMs) => retries.push([error.code, attempt, nextDelayMs]),
      });
      let settled = false;
      const outcome = waiting.then(
        () => assert.fail('expected the budget to end the wait'),
        (e: unknown) => e,
      );
      void outcome.finally(() => {
        settled = true;
      });
      await drive(clock, 4);
      await eventually(() => settled, 'the wait to settle after the last poll of its budget');
      const error = await outcome;
      assert.ok(RpcError.is(error) && error.code === grpc.status.UNAVAILABLE, String(error));
      assert.equal(clock.now(), 3500, 'the last poll is made when the budget ends');
      assert.deepEqual(clock.sleeps, [1000, 1000, 1000, 500]);
      assert.deepEqual(retries, [
        [grpc.status.UNAVAILABLE, 1, 1000],
        [grpc.status.UNAVAILABLE, 2, 1000],
        [grpc.status.UNAVAILABLE, 3, 1000],
        [grpc.status.UNAVAILABLE, 4, 500],
      ]);
      assert.equal(server.calls.GetOperation, 5);
      assert.equal(clock.pendingSleeps, 0);
    });

    it('after a poll refused with RetryInfo, waits the delay the server asked for before polling again', async () => {
      const clock = makeClock();
      const client = makeClient({ clock, callDefaults: { retry: false } });
      const h = server.create();
      server.inject({
        method: 'GetOperation',
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: [registry.pack('google.rpc.RetryInfo', { retryDelay: { seconds: 2, nanos: 500_000_000 } })],
      });
      const waiting = client.operation(h.name).wait({
        strategy: 'poll',
        polling: { initialDelayMs: 1000, multiplier: 1, jitter: 0 },
      });
      await drive(clock, 2);
      h.succeed('google.protobuf.Empty', {});
      await drive(clock, 1);
      assert.deepEqual(await waiting, {});
      assert.deepEqual(clock.sleeps, [2500, 1000, 1000]);
      assert.equal(server.calls.GetOperation, 4);
    });

    it('waits a day-long delay the server asks for only up to maxDelayMs (rule 5)', async () => {
      const clock = makeClock();
      const client = makeClient({
        clock,
        callDefaults: { retry: false },
        polling: { initialDelayMs: 1000, multiplier: 1, jitter: 0, maxDelayMs: 5000 },
      });
      const h = server.create();
      server.inject({
        method: 'GetOperation',
        code: grpc.status.RESOURCE_EXHAUSTED,
        details: [registry.pack('google.rpc.RetryInfo', { retryDelay: { seconds: 86_400 } })],
      });
      const waiting = client.operation(h.name).wait({ strategy: 'poll' });
      await drive(clock, 1);
      h.succeed('google.protobuf.Empty', {});
      await drive(clock, 1);
      assert.deepEqual(await waiting, {});
      assert.deepEqual(clock.sleeps, [5000, 1000]);
      assert.equal(server.calls.GetOperation, 3);
    });

    it('a TimeoutError whose last poll failed carries that RpcError as cause', async () => {
      const clock = makeClock();
      const client = makeClient({ clock, callDefaults: { retry: false } });
      const h = server.create();
      const waiting = client.operation(h.name).wait({
        strategy: 'poll',
        timeoutMs: 2000,
        polling: { initialDelayMs: 1000, multiplier: 1, jitter: 0 },
      });
      const outcome = waiting.then(
        () => assert.fail('expected a timeout'),
        (e: unknown) => e,
      );
      await drive(clock, 1);
      server.inject({ method: 'GetOperation', code: grpc.status.UNAVAILABLE, times: 2 });
      await drive(clock, 1);
      const error = await outcome;
      assert.ok(TimeoutError.is(error), String(error));
      assert.equal(error.lastSnapshot?.name, h.name, 'the first poll succeeded');
      // The final poll fails either with the injected UNAVAILABLE or, on a machine slow enough
      // to pass its short real-time deadline first, with DEADLINE_EXCEEDED: both are the last
      // poll's RpcError, which is what `cause` must carry.
      assert.ok(
        RpcError.is(error.cause) &&
          (error.cause.code === grpc.status.UNAVAILABLE ||
            error.cause.code === grpc.status.DEADLINE_EXCEEDED),
        String(error.cause),
      );
      assert.ok(
        server.calls.GetOperation >= 2,
        'the first poll and at least one failed poll reached the server',
      );
    });

    it('cancel() then wait() rejects with CANCELLED and marks the handle cancelled', async () => {
      const client = makeClient({ polling: { initialDelayMs: 5 } });
      const op = client.operation(server.create().name);
      await op.cancel();
      await assert.rejects(
        op.wait(),
        (e: unknown) => OperationError.is(e) && e.code === grpc.status.CANCELLED,
      );
      assert.equal(op.cancelled, true);
    });

    it('serialize() and resume() on a new client wait on the same operation to its typed result', async () => {
      const h = server.create({ metadataType: META });
      const token = makeClient().operation<ExportResult>(h.name, types).serialize();
      const resumed = makeClient({ polling: { initialDelayMs: 5 } }).resume<ExportResult, ExportMetadata>(
        token,
      );
      const waiting = resumed.wait();
      h.succeed(RESULT, { uri: 'export://resumed', rowCount: 7 });
      assert.deepEqual(await waiting, { uri: 'export://resumed', rowCount: '7' });
    });

    it('a response of another type than declared is an error naming both types', async () => {
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

    it('close() ends every wait of the client at once with RpcError CANCELLED, and later calls fail the same way', async () => {
      const client = makeClient({ polling: { initialDelayMs: 20, maxDelayMs: 20 } });
      const held = server.create();
      const polled = server.create();
      const waits = [
        client.operation(held.name).wait(),
        client.operation(polled.name).wait({ strategy: 'poll' }),
      ].map((p) =>
        p.then(
          () => assert.fail('a closed client must not resolve a wait'),
          (e: unknown) => e,
        ),
      );
      await eventually(
        () => server.calls.GetOperation + server.calls.WaitOperation >= 2,
        'both waits polling',
      );
      const before = timerCount();
      client.close();
      const errors = await Promise.all(waits);
      for (const e of errors) {
        assert.ok(RpcError.is(e), String(e));
        assert.equal(e.code, grpc.status.CANCELLED);
        assert.match(e.message, /is closed/);
      }
      assert.ok(timerCount() <= before, 'no timer left by the closed waits');
      await assert.rejects(
        client.operation(held.name).wait(),
        (e: unknown) => RpcError.is(e) && e.code === 1,
      );
      for (const call of [
        () => client.operation(held.name).poll(),
        () => client.operation(held.name).cancel(),
        () => client.getOperation(held.name),
        () => client.cancelOperation(held.name),
      ]) {
        await assert.rejects(
          call(),
          (e: unknown) => RpcError.is(e) && e.code === 1 && /is closed/.test(e.message),
        );
      }
      assert.equal(held.done, false, 'nothing reached the server after close');
    });

    it('takes a timeout past what a deadline holds (MAX_SAFE_INTEGER, 1e15, 4e14, MAX_VALUE) as none: every call and wait is sent and settles, nothing unhandled', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => {
        unhandled.push(reason);
      };
      process.on('unhandledRejection', onUnhandled);
      try {
        for (const huge of [Number.MAX_SAFE_INTEGER, 1e15, 4e14, Number.MAX_VALUE]) {
          const what = `timeout ${huge}`;
          const h = server.create();
          const viaDefaults = makeClient({ callDefaults: { timeoutMs: huge } });
          const client = makeClient({ polling: { initialDelayMs: 5, waitChunkMs: huge } });
          assert.equal((await hangGuard(viaDefaults.getOperation(h.name), what)).name, h.name);
          assert.equal(
            (await hangGuard(client.getOperation(h.name, { timeoutMs: huge }), what)).name,
            h.name,
          );
          await hangGuard(viaDefaults.listOperations({ name: 'operations' }), what);
          // A wait with that timeout and that WaitOperation chunk, held until the operation is done.
          const calls = server.calls.GetOperation + server.calls.WaitOperation;
          const waiting = client.operation(h.name).wait({ timeoutMs: huge });
          await eventually(
            () => server.calls.GetOperation + server.calls.WaitOperation > calls,
            `the wait's first poll (${what})`,
          );
          h.succeed('google.protobuf.Empty', {});
          await hangGuard(waiting, what);
          if (target.hasWait) {
            assert.ok(server.calls.WaitOperation > 0, `a WaitOperation call was made (${what})`);
          }
        }
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(unhandled.map(String), []);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });

    it('rejects an empty or non-string name with TypeError and sends nothing', async () => {
      const client = makeClient();
      for (const name of ['', undefined, 42]) {
        await assert.rejects(client.getOperation(name as string), TypeError);
        assert.throws(() => client.operation(name as string), TypeError);
      }
      assert.equal(server.calls.GetOperation, 0);
    });
  });
}
