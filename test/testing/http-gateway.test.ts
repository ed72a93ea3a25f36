import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createRegistry } from '../../src/proto/registry.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { httpStatusFromCode } from '../../src/testing/http-gateway.ts';
import { Code } from '../../src/wire/code.ts';
import { until } from './raw-client.ts';

const registry = createRegistry();
const META = 'longrunning.demo.v1.ExportMetadata';

describe('FakeOperationsServer HTTP/JSON gateway', () => {
  let server: FakeOperationsServer;
  const call = async (method: string, path: string, body?: object) => {
    const res = await fetch(`${server.httpUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  before(async () => {
    server = await FakeOperationsServer.start({ http: true });
  });
  after(() => server.stop());
  afterEach(() => {
    server.latencyMs = 0;
    server.resetCounters();
  });

  it('listens on another loopback port and serves GetOperation as proto3 JSON, counted like gRPC', async () => {
    assert.match(server.httpUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(server.httpUrl).port, String(server.port));
    const h = server.create({ metadataType: META, metadata: { progressPercent: 5, rowsProcessed: 12 } });
    const { status, json } = await call('GET', `/v1/${h.name}`);
    assert.equal(status, 200);
    assert.deepEqual(json, {
      name: h.name,
      metadata: { '@type': `type.googleapis.com/${META}`, progressPercent: 5, rowsProcessed: '12' },
    });
    assert.equal(server.calls.GetOperation, 1);
  });

  it('answers failures in the Google JSON error format, with details', async () => {
    const missing = await call('GET', '/v1/operations/missing');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, {
      error: { code: 404, message: 'operation "operations/missing" not found', status: 'NOT_FOUND' },
    });
    const h = server.create();
    server.inject({
      method: 'GetOperation',
      code: Code.RESOURCE_EXHAUSTED,
      message: 'slow down',
      details: [registry.pack('google.rpc.RetryInfo', { retryDelay: { seconds: 2, nanos: 500_000_000 } })],
    });
    const limited = await call('GET', `/v1/${h.name}`);
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.json, {
      error: {
        code: 429,
        message: 'slow down',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2.500s' }],
      },
    });
    const route = await call('PUT', '/v1/operations/x');
    assert.equal(route.status, 404);
    assert.equal((route.json.error as { status: string }).status, 'NOT_FOUND');
  });

  it('cancels with POST :cancel and deletes with DELETE', async () => {
    const h = server.create();
    assert.deepEqual(await call('POST', `/v1/${h.name}:cancel`, {}), { status: 200, json: {} });
    assert.equal(h.snapshot.error?.code, Code.CANCELLED);
    const got = await call('GET', `/v1/${h.name}`);
    assert.deepEqual(got.json.error, { code: 1, message: 'operation cancelled' });
    assert.deepEqual(await call('DELETE', `/v1/${h.name}`), { status: 200, json: {} });
    assert.equal(server.store.has(h.name), false);
    assert.deepEqual([server.calls.CancelOperation, server.calls.DeleteOperation], [1, 1]);
  });

  it('lists with filter, pageSize and page tokens, and rejects a bad token with 400', async () => {
    for (let i = 0; i < 3; i++) server.create({ name: `jobs/gw/operations/op-${i}` });
    const first = await call('GET', '/v1/jobs/gw/operations?pageSize=2&filter=done%3Dfalse');
    const ops = first.json.operations as { name: string }[];
    assert.deepEqual(
      ops.map((o) => o.name),
      ['jobs/gw/operations/op-0', 'jobs/gw/operations/op-1'],
    );
    const token = String(first.json.nextPageToken);
    const second = await call(
      'GET',
      `/v1/jobs/gw/operations?pageSize=2&filter=done%3Dfalse&pageToken=${encodeURIComponent(token)}`,
    );
    assert.deepEqual(second.json, { operations: [{ name: 'jobs/gw/operations/op-2' }] });
    const bad = await call('GET', '/v1/jobs/gw/operations?pageToken=nope');
    assert.equal(bad.status, 400);
    assert.equal((bad.json.error as { status: string }).status, 'INVALID_ARGUMENT');
  });

  it('waits with POST :wait and its timeout, answering on completion', async () => {
    const h = server.create();
    const pending = call('POST', `/v1/${h.name}:wait`, { timeout: '5s' });
    await until(() => server.openWaits === 1);
    h.succeed('google.protobuf.Empty', {});
    const { json } = await pending;
    assert.deepEqual(json, {
      name: h.name,
      done: true,
      response: { '@type': 'type.googleapis.com/google.protobuf.Empty' },
    });
    const quick = await call('POST', `/v1/${server.create().name}:wait`, { timeout: '0.05s' });
    assert.equal(quick.json.done, undefined, 'not done: proto3 JSON leaves out false');
    const bad = await call('POST', `/v1/${h.name}:wait`, { timeout: 5 });
    assert.equal(bad.status, 400);
  });

  it('decodes each path segment on its own and records the raw request target', async () => {
    const h = server.create({ name: 'projects/p/locations/l/operations/a b:c' });
    const { status, json } = await call('GET', '/v1/projects/p/locations/l/operations/a%20b%3Ac');
    assert.equal(status, 200);
    assert.equal(json.name, h.name);
    assert.deepEqual(server.httpRequests.at(-1), {
      method: 'GET',
      url: '/v1/projects/p/locations/l/operations/a%20b%3Ac',
    });
  });

  it('answers 500 INTERNAL for an Any it cannot show as JSON', async () => {
    const h = server.create();
    h.setRaw({ metadata: { type_url: 'type.googleapis.com/acme.Unknown', value: Buffer.from([1]) } });
    const { status, json } = await call('GET', `/v1/${h.name}`);
    assert.equal(status, 500);
    assert.match(String((json.error as { message: string }).message), /acme\.Unknown/);
  });

  it('abandons a call whose client went away', async () => {
    const h = server.create();
    const controller = new AbortController();
    const pending = fetch(`${server.httpUrl}/v1/${h.name}:wait`, {
      method: 'POST',
      body: '{}',
      signal: controller.signal,
    }).catch(() => 'aborted');
    await until(() => server.openWaits === 1);
    controller.abort();
    assert.equal(await pending, 'aborted');
    await until(() => server.openWaits === 0);
  });

  it('maps gRPC codes to HTTP statuses by the standard table', () => {
    const table = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16].map(httpStatusFromCode);
    assert.deepEqual(
      table,
      [200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401],
    );
  });

  it('has no httpUrl without { http: true }, and stop() closes the gateway', async () => {
    const grpcOnly = await FakeOperationsServer.start();
    assert.throws(() => grpcOnly.httpUrl, /http: true/);
    await grpcOnly.stop();
    const other = await FakeOperationsServer.start({ http: true });
    const url = other.httpUrl;
    const h = other.create();
    const open = fetch(`${url}/v1/${h.name}:wait`, { method: 'POST', body: '{}' }).then(
      () => 'answered',
      () => 'dropped',
    );
    await until(() => other.openWaits === 1);
    await other.stop();
    assert.equal(await open, 'dropped', 'open calls end when the server stops');
    await assert.rejects(fetch(`${url}/v1/${h.name}`));
  });
});
