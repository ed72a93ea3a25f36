import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { OperationError, RpcError, UnknownTypeError } from '../../src/wire/errors.ts';
import { type ExportMetadata, type ExportResult, META, RESULT, WAIT_RULE } from './handle-suite.ts';

/** A type only the server knows: the client's registry lacks it. */
const SERVER_ONLY = {
  nested: {
    acme: {
      nested: {
        v1: {
          nested: {
            Progress: { fields: { progress: { type: 'int32', id: 1 }, phase: { type: 'string', id: 2 } } },
          },
        },
      },
    },
  },
};

describe('OperationsRestClient', () => {
  let server: FakeOperationsServer;
  let client: OperationsRestClient;

  before(async () => {
    server = await FakeOperationsServer.start({
      http: true,
      registry: createRegistry().addJSON(SERVER_ONLY),
    });
    client = new OperationsRestClient({ baseUrl: server.httpUrl, polling: { initialDelayMs: 5 } });
  });
  after(async () => {
    client.close();
    await server.stop();
  });
  beforeEach(() => server.resetCounters());

  it('gets, lists, cancels and deletes through the default rules', async () => {
    const h = server.create({
      name: 'operations/rest-crud',
      metadataType: META,
      metadata: { progressPercent: 5 },
    });
    const op = await client.getOperation(h.name);
    assert.deepEqual(op.raw, h.snapshot, 'the same snapshot shape as gRPC decodes');
    assert.deepEqual(op.metadata, { progressPercent: 5, rowsProcessed: '0', state: '' });
    const names = [];
    for await (const op of client.listAllOperations({ pageSize: 1, filter: 'done=false' }))
      names.push(op.name);
    assert.ok(names.includes(h.name));
    assert.equal(server.calls.ListOperations, names.length, 'one page of 1 per operation');
    await client.cancelOperation(h.name);
    assert.equal(h.snapshot.error?.code, 1);
    await client.deleteOperation(h.name);
    await assert.rejects(client.getOperation(h.name), (e: unknown) => RpcError.is(e) && e.code === 5);
    assert.deepEqual(
      server.httpRequests.slice(-3).map((r) => `${r.method} ${r.url}`),
      [
        'POST /v1/operations/rest-crud:cancel',
        'DELETE /v1/operations/rest-crud',
        'GET /v1/operations/rest-crud',
      ],
    );
  });

  it('sends names like projects/p/locations/l/operations/o1 unencoded, and waits on them', async () => {
    const rules = {
      get: 'GET /v1/{name=projects/*/locations/*/operations/*}',
      list: 'GET /v1/{name=projects/*/locations/*}/operations',
      cancel: 'POST /v1/{name=projects/*/locations/*/operations/*}:cancel',
      delete: 'DELETE /v1/{name=projects/*/locations/*/operations/*}',
    };
    const regional = new OperationsRestClient({
      baseUrl: server.httpUrl,
      rules,
      polling: { initialDelayMs: 5 },
    });
    try {
      const h = server.create({ name: 'projects/p/locations/l/operations/o1' });
      const waiting = regional.operation(h.name).wait();
      h.succeed('google.protobuf.Empty', {});
      assert.deepEqual(await waiting, {});
      const page = await regional.listOperations({ name: 'projects/p/locations/l' });
      assert.deepEqual(
        page.operations.map((o) => o.name),
        [h.name],
      );
      const urls = new Set(server.httpRequests.map((r) => r.url));
      assert.ok(urls.has('/v1/projects/p/locations/l/operations/o1'), [...urls].join(', '));
      assert.ok(urls.has('/v1/projects/p/locations/l/operations'));
      assert.ok(![...urls].some((u) => u.includes('%2F')), 'no encoded slash');
      const before = server.httpRequests.length;
      await assert.rejects(regional.getOperation('operations/o1'), (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, /"operations\/o1"/);
        assert.match(e.message, /projects\/\*\/locations\/\*\/operations\/\*/);
        return true;
      });
      assert.equal(server.httpRequests.length, before, 'no request for a name that does not match');
    } finally {
      regional.close();
    }
  });

  it('loads a snapshot whose metadata @type it does not know; reading metadata throws; wait() completes', async () => {
    const h = server.create({ metadataType: 'acme.v1.Progress', metadata: { progress: 40, phase: 'copy' } });
    const op = client.operation<ExportResult, ExportMetadata>(h.name);
    await op.poll();
    assert.equal(op.done, false);
    assert.equal(op.progress, undefined, 'progress is unknown, never a throw');
    assert.throws(
      () => op.metadata,
      (e: unknown) => UnknownTypeError.is(e) && e.typeUrl === 'type.googleapis.com/acme.v1.Progress',
    );
    assert.equal(client.registry.tryUnpack(op.raw.metadata), undefined);
    assert.deepEqual(JSON.parse(Buffer.from(op.raw.metadata?.value ?? []).toString('utf8')), {
      progress: 40,
      phase: 'copy',
      '@type': 'type.googleapis.com/acme.v1.Progress',
    });
    const waiting = op.wait();
    h.succeed(RESULT, { uri: 'export://unknown-meta', rowCount: 2 });
    assert.deepEqual(await waiting, { uri: 'export://unknown-meta', rowCount: '2' });
    assert.throws(() => op.metadata, UnknownTypeError);
  });

  it('reads the metadata once the type is added to its registry', async () => {
    const knowing = new OperationsRestClient({
      baseUrl: server.httpUrl,
      registry: createRegistry().addJSON(SERVER_ONLY),
    });
    const h = server.create({ metadataType: 'acme.v1.Progress', metadata: { progress: 40, phase: 'copy' } });
    const op = await knowing.operation<unknown, { progress: number }>(h.name).poll();
    assert.deepEqual(op.metadata, { progress: 40, phase: 'copy' });
    assert.equal(op.progress, 40);
    knowing.close();
  });

  it('waitOperation uses the wait rule, and is a TypeError without one', async () => {
    await assert.rejects(client.waitOperation('operations/x', { timeoutMs: 10 }), /no WaitOperation/);
    const waiter = new OperationsRestClient({ baseUrl: server.httpUrl, rules: { wait: WAIT_RULE } });
    try {
      const h = server.create();
      const pending = waiter.waitOperation(h.name, { timeoutMs: 5000 });
      h.succeed('google.protobuf.Empty', {});
      assert.equal((await pending).done, true);
      const running = await waiter.waitOperation(server.create().name, { timeoutMs: 50 });
      assert.equal(running.done, false);
      assert.equal(server.calls.WaitOperation, 2);
    } finally {
      waiter.close();
    }
  });

  it('builds handles from proto3 JSON snapshots, e.g. what a REST start call returned', async () => {
    const h = server.create();
    const start = async (_: { source: string }) => ({
      name: h.name,
      metadata: { '@type': `type.googleapis.com/${META}`, progressPercent: 30 },
    });
    const op = await client.wrap<{ source: string }, ExportResult, ExportMetadata>(start, {
      metadataType: META,
    })({ source: 's' });
    assert.equal(op.metadata?.progressPercent, 30);
    assert.equal(op.progress, 30);
    const done = client.operation({
      name: 'operations/json-done',
      done: true,
      response: { '@type': `type.googleapis.com/${RESULT}`, uri: 'export://j', rowCount: '9' },
    });
    assert.deepEqual(await done.wait(), { uri: 'export://j', rowCount: '9' });
  });

  it("keeps the header values it sent out of an operation's error, as out of an RpcError", async () => {
    const key = 'AIza-lr-rest-echo-key-4d2f';
    const h = server.create().fail({ code: 7, message: `denied for key ${key}` });
    const failed = await client
      .operation(h.name)
      .wait({ metadata: { 'x-goog-api-key': key } })
      .then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
    assert.ok(OperationError.is(failed), String(failed));
    assert.equal(failed.rawMessage, 'denied for key [REDACTED]');
    assert.equal(`${failed.message} ${JSON.stringify(failed)}`.includes(key), false);
    const page = await client.listOperations(
      { filter: 'done=true' },
      { metadata: { 'x-goog-api-key': key } },
    );
    assert.equal(
      page.operations.find((op) => op.name === h.name)?.error?.message,
      'PERMISSION_DENIED: denied for key [REDACTED]',
    );
  });

  it('refuses calls after close()', async () => {
    const c = new OperationsRestClient({ baseUrl: server.httpUrl });
    c.close();
    c.close();
    assert.equal(c.closed, true);
    await assert.rejects(c.getOperation('operations/x'), /OperationsRestClient is closed/);
  });

  it('rejects bad construction options with TypeError', () => {
    assert.throws(() => new OperationsRestClient({ baseUrl: 'ftp://x' }), TypeError);
    assert.throws(() => new OperationsRestClient({ baseUrl: 'not a url' }), TypeError);
    assert.throws(
      () => new OperationsRestClient({ baseUrl: 'http://x', rules: { get: 'GET /v1/operations' } }),
      /variable/,
    );
    assert.throws(
      () => new OperationsRestClient({ baseUrl: 'http://x', callDefaults: { timeoutMs: -1 } }),
      RangeError,
    );
  });
});
