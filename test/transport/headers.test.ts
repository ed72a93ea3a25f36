import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { systemClock } from '../../src/base/clock.ts';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { checkHeader, redact } from '../../src/transport/headers.ts';
import { RestTransport } from '../../src/transport/rest.ts';
import { RpcError } from '../../src/wire/errors.ts';
import { loopbackServer } from './loopback-http.ts';

const SECRET = 'sk-live-0123456789';
/** Values no header may carry, each hiding the secret. */
const BAD_VALUES = [
  `${SECRET}\r\nx-evil: 1`,
  `${SECRET}\n`,
  `${SECRET}\u0000`,
  `${SECRET}\u2028`,
  `${SECRET}€`,
];

/** Asserts `error` is a TypeError naming `header` and not showing the secret. */
function namesHeaderNotValue(error: unknown, header: string): true {
  assert.ok(error instanceof TypeError, `expected a TypeError, got ${String(error)}`);
  assert.ok(error.message.includes(header), error.message);
  assert.ok(!error.message.includes(SECRET), `the value leaked: ${error.message}`);
  return true;
}

describe('request headers', () => {
  let server: FakeOperationsServer;
  before(async () => {
    server = await FakeOperationsServer.start({ http: true });
  });
  after(() => server.stop());
  beforeEach(() => server.resetCounters());

  it('refuses a bad header value in the REST options with a TypeError naming the header, never the value', () => {
    for (const value of BAD_VALUES) {
      assert.throws(
        () => new OperationsRestClient({ baseUrl: server.httpUrl, headers: { 'x-token': value } }),
        (e) => namesHeaderNotValue(e, 'x-token'),
      );
      assert.throws(
        () => new OperationsRestClient({ baseUrl: server.httpUrl, apiKey: value }),
        (e) => namesHeaderNotValue(e, 'x-goog-api-key'),
      );
      assert.throws(
        () =>
          new OperationsRestClient({
            baseUrl: server.httpUrl,
            callDefaults: { metadata: { 'x-default': value } },
          }),
        (e) => namesHeaderNotValue(e, 'x-default'),
      );
    }
  });

  it('refuses a bad per-call header over REST and gRPC before any request, as a TypeError without the value', async () => {
    const h = server.create();
    const rest = new OperationsRestClient({ baseUrl: server.httpUrl });
    const grpcClient = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
    });
    try {
      for (const value of BAD_VALUES) {
        for (const client of [rest, grpcClient]) {
          await assert.rejects(client.getOperation(h.name, { metadata: { 'x-call': value } }), (e) =>
            namesHeaderNotValue(e, 'x-call'),
          );
        }
      }
      assert.equal(server.calls.GetOperation, 0);
      assert.equal(server.httpRequests.length, 0);
    } finally {
      rest.close();
      grpcClient.close();
    }
  });

  it('refuses over gRPC a Latin-1 value that HTTP could carry (gRPC metadata is ASCII), naming the header', async () => {
    const h = server.create();
    const grpcClient = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
      callDefaults: { metadata: { 'x-default': `${SECRET}é` } },
    });
    try {
      await assert.rejects(grpcClient.getOperation(h.name), (e) => namesHeaderNotValue(e, 'x-default'));
      assert.equal(server.calls.GetOperation, 0);
    } finally {
      grpcClient.close();
    }
  });

  it('refuses over gRPC a string value for a -bin key (gRPC wants bytes), naming the header', async () => {
    const grpcClient = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
    });
    try {
      await assert.rejects(
        grpcClient.getOperation('operations/x', { metadata: { 'x-trace-bin': SECRET } }),
        (e) => namesHeaderNotValue(e, 'x-trace-bin'),
      );
      assert.equal(server.calls.GetOperation, 0);
    } finally {
      grpcClient.close();
    }
  });

  it('sends every header of a grpc Metadata over REST: repeated values, and -bin values in base64', async () => {
    const echo = await loopbackServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'operations/x', done: false }));
    });
    const client = new OperationsRestClient({
      baseUrl: echo.url,
      callDefaults: { metadata: { 'x-one': 'default' } },
    });
    try {
      const metadata = new grpc.Metadata();
      metadata.add('x-one', 'a');
      metadata.add('x-one', 'b');
      metadata.add('x-trace-bin', Buffer.from([1, 2, 3, 250]));
      await client.getOperation('operations/x', { metadata });
      const headers = echo.requests[0]?.headers;
      assert.equal(headers?.['x-one'], 'a, b', "the call's values replace the default's, all of them sent");
      assert.equal(
        headers?.['x-trace-bin'],
        Buffer.from([1, 2, 3, 250]).toString('base64').replace(/=+$/, ''),
      );
    } finally {
      client.close();
      await echo.close();
    }
  });

  it('sends good headers unchanged', async () => {
    const h = server.create();
    const grpcClient = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
    });
    try {
      await grpcClient.getOperation(h.name, { metadata: { 'x-call': 'a b c' } });
      assert.equal(server.lastHeaders.GetOperation?.['x-call'], 'a b c');
    } finally {
      grpcClient.close();
    }
  });

  it('redacts every header value the client sent from an error body that echoes them (a 401 HTML page)', async () => {
    const echo = await loopbackServer((req, res) => {
      res.writeHead(401, { 'content-type': 'text/html' });
      res.end(`<html><pre>${JSON.stringify(req.headers)}</pre></html>`);
    });
    try {
      const transport = new RestTransport({
        baseUrl: echo.url,
        registry: createRegistry(),
        clock: systemClock,
        apiKey: 'AIzaSy-api-key-value',
        token: async () => 'ya29.bearer-token-value',
        headers: { 'x-goog-user-project': 'project-secret-1' },
      });
      const error = await transport
        .get('operations/x', { metadata: { 'x-call-secret': 'call-secret-2' } })
        .then(
          () => assert.fail('resolved'),
          (e: unknown) => e,
        );
      assert.ok(RpcError.is(error));
      assert.equal(error.code, 16, 'UNAUTHENTICATED');
      assert.match(error.message, /\[REDACTED\]/);
      for (const secret of [
        'AIzaSy-api-key-value',
        'ya29.bearer-token-value',
        'project-secret-1',
        'call-secret-2',
      ]) {
        assert.ok(!error.message.includes(secret), `${secret} is in ${error.message}`);
        assert.ok(!error.rawMessage.includes(secret));
      }
    } finally {
      await echo.close();
    }
  });
});

describe('checkHeader', () => {
  it('accepts tab, visible ASCII and Latin-1; refuses a name that is not a token', () => {
    checkHeader('x-a', 'a\tb ~ ÿ', 'headers');
    assert.throws(() => checkHeader('x a', 'v', 'headers'), /not a valid header name/);
    assert.throws(() => checkHeader('x-a', 1, 'headers'), /string value/);
  });

  it('throws a TypeError for a value with CR/LF (a usage error, not a plain Error)', () => {
    assert.throws(
      () => checkHeader('x-a', 'a\r\n', 'metadata'),
      (e) => e instanceof TypeError,
    );
  });
});

describe('redact', () => {
  it('replaces every occurrence, longest secret first, and leaves values under 4 characters alone', () => {
    assert.equal(
      redact('k=abcd, t=Bearer abcdef, x=ab', ['abcd', 'Bearer abcdef', 'ab']),
      'k=[REDACTED], t=[REDACTED], x=ab',
    );
  });
});
