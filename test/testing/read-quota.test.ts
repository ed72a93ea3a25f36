import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { checkQuota } from '../../src/testing/read-quota.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';

/** The RpcError a promise rejects with (fails the test when it resolves or rejects with something else). */
async function rpcError(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(RpcError.is(error), `expected an RpcError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('the fake server read quota', () => {
  let server: FakeOperationsServer;
  let client: OperationsClient;
  const clock = new FakeClock(0);
  const noRetry = { retry: false } as const;

  before(async () => {
    server = await FakeOperationsServer.start({ clock, quota: { perSecond: 2 }, http: true });
    client = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
    });
  });

  after(async () => {
    client.close();
    await server.stop();
  });

  it('admits perSecond reads at once, then refuses with RESOURCE_EXHAUSTED, RetryInfo, QuotaFailure and ErrorInfo', async () => {
    server.quota = { perSecond: 2 };
    server.resetCounters();
    const h = server.create();
    await client.getOperation(h.name, noRetry);
    await client.listOperations({ name: 'operations' }, noRetry);
    const refused = await rpcError(client.getOperation(h.name, noRetry));
    assert.equal(refused.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(refused.retryDelayMs, 500, 'the next token comes in 1/perSecond');
    const [failure] = refused.findDetails<{ violations: { subject: string; description: string }[] }>(
      'google.rpc.QuotaFailure',
    );
    assert.deepEqual(
      failure?.violations.map(({ subject, description }) => ({ subject, description })),
      [{ subject: 'project:fake', description: 'Operation read requests per second: 2' }],
    );
    const [info] = refused.findDetails<{ reason: string }>('google.rpc.ErrorInfo');
    assert.equal(info?.reason, 'RATE_LIMIT_EXCEEDED');
    assert.equal(server.rejected, 1);
    assert.equal(server.rejectedByMethod.GetOperation, 1);
    assert.equal(server.calls.GetOperation, 2, 'a refused call is still counted');
  });

  it('refills at perSecond on the server clock, metering Get, List and Wait together, not Cancel or Delete', async () => {
    server.quota = { perSecond: 2 };
    server.resetCounters();
    const h = server.create();
    await client.getOperation(h.name, noRetry);
    await client.waitOperation(h.name, { timeoutMs: 0 }, noRetry);
    await client.cancelOperation(h.name, noRetry);
    await client.deleteOperation(h.name, noRetry);
    const g = server.create();
    assert.equal((await rpcError(client.getOperation(g.name, noRetry))).code, Code.RESOURCE_EXHAUSTED);
    await clock.advance(499);
    assert.equal((await rpcError(client.getOperation(g.name, noRetry))).retryDelayMs, 1);
    await clock.advance(1);
    await client.getOperation(g.name, noRetry);
    assert.equal(server.rejected, 2);
  });

  it('answers over HTTP/JSON (429) with the same RetryInfo', async () => {
    server.quota = { perSecond: 1, burst: 1 };
    const rest = new OperationsRestClient({ baseUrl: server.httpUrl });
    try {
      const h = server.create();
      await rest.getOperation(h.name, noRetry);
      const refused = await rpcError(rest.getOperation(h.name, noRetry));
      assert.equal(refused.code, Code.RESOURCE_EXHAUSTED);
      assert.equal(refused.retryDelayMs, 1000);
    } finally {
      rest.close();
    }
  });

  it('is removed by setting undefined, and methods chooses what it meters', async () => {
    server.quota = undefined;
    const h = server.create();
    for (let i = 0; i < 5; i++) await client.getOperation(h.name, noRetry);
    server.quota = { perSecond: 1, methods: ['ListOperations'] };
    for (let i = 0; i < 5; i++) await client.getOperation(h.name, noRetry);
    await client.listOperations({}, noRetry);
    assert.equal((await rpcError(client.listOperations({}, noRetry))).code, Code.RESOURCE_EXHAUSTED);
    assert.deepEqual(server.quota?.methods, ['ListOperations']);
  });

  it('rejects an invalid quota naming the field, before binding a port', async () => {
    assert.throws(
      () => checkQuota({ perSecond: 0 }),
      /quota.perSecond must be a finite number > 0 \(got 0\)/,
    );
    assert.throws(() => checkQuota({ perSecond: 1, burst: 0.5 }), /quota.burst must be a finite number >= 1/);
    assert.throws(
      () => checkQuota({ perSecond: 1, methods: ['StartExport' as 'GetOperation'] }),
      /"StartExport" is not an Operations method/,
    );
    await assert.rejects(FakeOperationsServer.start({ quota: { perSecond: -1 } }), RangeError);
  });
});
