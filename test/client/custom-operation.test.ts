import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CustomOperationSpec, createOperation } from '../../src/client/custom-operation.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { Code } from '../../src/wire/code.ts';
import { OperationError, OperationStateError, RpcError, TimeoutError } from '../../src/wire/errors.ts';

/** A Compute-style operation resource, as `compute.zoneOperations.get` returns it. */
interface ComputeOperation {
  name: string;
  status: 'PENDING' | 'RUNNING' | 'DONE';
  progress: number;
  targetLink: string;
  httpErrorStatusCode?: number;
  httpErrorMessage?: string;
  error?: { errors: { code: string; message: string }[] };
}

/** A fake Compute service: one operation the test advances, and a count of refreshes. */
function fakeCompute(name = 'operation-1700000000-abc') {
  const state: ComputeOperation = {
    name,
    status: 'PENDING',
    progress: 0,
    targetLink: 'https://compute.example/projects/p/zones/z/instances/vm-1',
  };
  let refreshes = 0;
  let cancels = 0;
  const spec: CustomOperationSpec<ComputeOperation, string, { progress: number; status: string }> = {
    name,
    refresh: async () => {
      refreshes++;
      return structuredClone(state);
    },
    cancel: async () => {
      cancels++;
    },
    isDone: (op) => op.status === 'DONE',
    getMetadata: (op) => ({ progress: op.progress, status: op.status }),
    getResponse: (op) => op.targetLink,
    getError: (op) =>
      op.httpErrorStatusCode === undefined
        ? undefined
        : {
            httpStatus: op.httpErrorStatusCode,
            message: op.httpErrorMessage ?? '',
            details: (op.error?.errors ?? []).map((e) => ({ typeName: 'compute.v1.Error', value: e })),
          },
  };
  return {
    state,
    spec,
    get refreshes() {
      return refreshes;
    },
    get cancels() {
      return cancels;
    },
  };
}

async function drive(clock: FakeClock, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await clock.untilSleeping();
    await clock.advanceToNext();
  }
}

const polling = { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 4000, jitter: 0 };

describe('createOperation', () => {
  it('waits on a Compute-style operation to completion with exact delays, reporting progress', async () => {
    const compute = fakeCompute();
    const clock = new FakeClock();
    const op = createOperation(compute.spec, { clock, polling });
    const progress: (number | undefined)[] = [];
    const waiting = op.wait({ onProgress: (o) => progress.push(o.progress) });
    await drive(clock, 1);
    compute.state.status = 'RUNNING';
    compute.state.progress = 40;
    await drive(clock, 1);
    await drive(clock, 1);
    compute.state.progress = 100;
    compute.state.status = 'DONE';
    await drive(clock, 1);
    assert.equal(await waiting, compute.state.targetLink);
    assert.deepEqual(clock.sleeps, [1000, 2000, 4000, 4000]);
    assert.equal(compute.refreshes, 5);
    assert.deepEqual(progress, [0, 40, 100], 'one call per change, not per refresh');
    assert.equal(op.done, true);
    assert.deepEqual(op.metadata, { progress: 100, status: 'DONE' });
    assert.equal(op.name, compute.state.name);
  });

  it('maps an HTTP error code to an OperationError with the gRPC code, message and details', async () => {
    const compute = fakeCompute();
    Object.assign(compute.state, {
      status: 'DONE',
      progress: 100,
      httpErrorStatusCode: 404,
      httpErrorMessage: 'NOT FOUND',
      error: { errors: [{ code: 'RESOURCE_NOT_FOUND', message: "The resource 'vm-1' was not found" }] },
    });
    const op = createOperation(compute.spec);
    await assert.rejects(op.wait(), (e: unknown) => {
      assert.ok(OperationError.is(e));
      assert.equal(e.code, Code.NOT_FOUND);
      assert.equal(e.message, 'NOT_FOUND: NOT FOUND');
      assert.deepEqual(e.findDetails('compute.v1.Error'), [
        { code: 'RESOURCE_NOT_FOUND', message: "The resource 'vm-1' was not found" },
      ]);
      assert.equal(e.operation.done, true);
      return true;
    });
    assert.equal(op.error?.codeName, 'NOT_FOUND');
    assert.equal(op.response, undefined);
  });

  it('takes an explicit code over httpStatus, UNKNOWN when neither, and decodes JSON-Any details', async () => {
    const outcomes: number[] = [];
    for (const error of [
      { code: 9, httpStatus: 503, message: 'x' },
      { message: 'y' },
      { httpStatus: 503, message: 'z' },
    ]) {
      const op = createOperation({
        name: 'ops/e',
        refresh: async () => ({}),
        isDone: () => true,
        getError: () => ({
          ...error,
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'R', domain: 'd' }],
        }),
      });
      await op.wait().catch((e: unknown) => {
        assert.ok(OperationError.is(e));
        assert.deepEqual(e.findDetails('google.rpc.ErrorInfo'), [{ reason: 'R', domain: 'd', metadata: {} }]);
        outcomes.push(e.code);
      });
    }
    assert.deepEqual(outcomes, [9, Code.UNKNOWN, Code.UNAVAILABLE]);
  });

  it('settles a done `initial` without refreshing, and defaults metadata and response to the resource', async () => {
    let refreshes = 0;
    const initial = { id: 7, status: 'DONE', progress: 100 };
    const op = createOperation({
      name: 'ops/initial',
      initial,
      refresh: async () => {
        refreshes++;
        return initial;
      },
      isDone: (r) => r.status === 'DONE',
    });
    assert.deepEqual(await op.wait(), initial);
    assert.equal(op.progress, 100, 'progress read from the resource');
    assert.equal(refreshes, 0);
    const neither = createOperation({
      name: 'ops/n',
      initial,
      refresh: async () => initial,
      isDone: () => true,
      getResponse: () => undefined,
    });
    await assert.rejects(neither.wait(), OperationStateError);
  });

  it('survives a refresh that fails with a retryable RpcError; any other error rejects the wait', async () => {
    const clock = new FakeClock();
    let n = 0;
    const op = createOperation(
      {
        name: 'ops/flaky',
        refresh: async () => {
          n++;
          if (n <= 2) throw new RpcError(Code.UNAVAILABLE, 'blip', [], 'refresh');
          return { done: n >= 4 };
        },
        isDone: (r) => r.done,
        getResponse: () => 'ok',
      },
      { clock, polling, callDefaults: { retry: false } },
    );
    const waiting = op.wait();
    await drive(clock, 3);
    assert.equal(await waiting, 'ok');
    assert.equal(n, 4);

    const boom = new Error('getter broke');
    const broken = createOperation({
      name: 'ops/broken',
      refresh: async () => ({}),
      isDone: () => {
        throw boom;
      },
    });
    await assert.rejects(broken.wait(), (e: unknown) => e === boom, 'a throwing getter rejects, never hangs');
  });

  it('aborts the refresh in flight and rejects with the reason; times out with TimeoutError', async () => {
    let seen: AbortSignal | undefined;
    const op = createOperation({
      name: 'ops/slow',
      refresh: ({ signal }) => {
        seen = signal;
        return new Promise(() => {});
      },
      isDone: () => false,
    });
    const controller = new AbortController();
    const waiting = op.wait({ signal: controller.signal });
    await new Promise((r) => setImmediate(r));
    const reason = new Error('stop');
    controller.abort(reason);
    await assert.rejects(waiting, (e: unknown) => e === reason);
    assert.equal(seen?.aborted, true, 'the refresh was told to stop');

    const clock = new FakeClock();
    const running = createOperation(
      { name: 'ops/t', refresh: async () => ({}), isDone: () => false },
      { clock, polling: { ...polling, initialDelayMs: 4000, multiplier: 1 } },
    );
    const timing = running.wait({ timeoutMs: 10_000 }).catch((e: unknown) => e);
    await drive(clock, 3);
    const error = await timing;
    assert.ok(TimeoutError.is(error));
    assert.equal(error.polls, 4);
  });

  it('gives a refresh that never settles DEADLINE_EXCEEDED after the per-call timeout', async () => {
    const op = createOperation(
      { name: 'ops/hang', refresh: () => new Promise(() => {}), isDone: () => false },
      { callDefaults: { timeoutMs: 30, retry: false } },
    );
    await assert.rejects(op.poll(), (e: unknown) => RpcError.is(e) && e.code === Code.DEADLINE_EXCEEDED);
  });

  it('cancels through spec.cancel; without it cancel() is UNIMPLEMENTED, as are delete()', async () => {
    const compute = fakeCompute();
    await createOperation(compute.spec).cancel();
    assert.equal(compute.cancels, 1);
    const plain = createOperation({ name: 'ops/p', refresh: async () => ({}), isDone: () => false });
    await assert.rejects(plain.cancel(), (e: unknown) => RpcError.is(e) && e.code === Code.UNIMPLEMENTED);
    await assert.rejects(plain.delete(), (e: unknown) => RpcError.is(e) && e.code === Code.UNIMPLEMENTED);
  });

  it('rejects a spec without name, refresh or isDone with TypeError', () => {
    const ok = { name: 'ops/x', refresh: async () => ({}), isDone: () => false };
    assert.throws(() => createOperation({ ...ok, name: '' }), /spec\.name/);
    assert.throws(() => createOperation({ ...ok, refresh: undefined } as never), /spec\.refresh/);
    assert.throws(() => createOperation({ ...ok, isDone: 'yes' } as never), /spec\.isDone/);
    assert.throws(() => createOperation({ ...ok, cancel: 1 } as never), /spec\.cancel/);
  });
});
