import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import { after, before, beforeEach, describe, it } from 'node:test';
import { systemClock } from '../../src/base/clock.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { DEFAULT_HTTP_RULES, RestTransport, type RestTransportOptions } from '../../src/transport/rest.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';
import { eventually } from '../client/handle-suite.ts';
import { loopbackServer } from './loopback-http.ts';

const registry = createRegistry();

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Reply {
  readonly status?: number;
  readonly body?: unknown;
  /** Delay before answering, in real ms. */
  readonly delayMs?: number;
  /** Response headers besides content-type. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A loopback HTTP server answering each request with the next scripted reply (the last one repeats). */
async function scripted(...replies: Reply[]): Promise<{ url: string; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = await loopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      });
      const reply = replies[Math.min(seen.length - 1, replies.length - 1)] ?? {};
      const answer = (): void => {
        if (res.destroyed) return;
        const body = reply.body === undefined ? { name: 'operations/x', done: false } : reply.body;
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (reply.delayMs === undefined) answer();
      else setTimeout(answer, reply.delayMs);
    });
  });
  return { url: server.url, seen, close: server.close };
}

function transport(baseUrl: string, options: Partial<RestTransportOptions> = {}): RestTransport {
  return new RestTransport({ baseUrl, registry, clock: systemClock, ...options });
}

const googleError = (httpStatus: number, status: string, message: string, details: unknown[] = []) => ({
  error: { code: httpStatus, status, message, details },
});

describe('RestTransport', () => {
  describe('HTTP rules', () => {
    let stub: Awaited<ReturnType<typeof scripted>>;
    before(async () => {
      stub = await scripted({ body: { name: 'operations/x' } });
    });
    after(() => stub.close());
    beforeEach(() => {
      stub.seen.length = 0;
    });

    it("defaults to operations.proto's bindings and no WaitOperation", async () => {
      const t = transport(stub.url);
      assert.equal(t.wait, undefined);
      await t.get('operations/a/b', {});
      await t.cancel('operations/a/b', {});
      await t.delete('operations/a/b', {});
      await t.list({}, {});
      assert.deepEqual(
        stub.seen.map((s) => `${s.method} ${s.url} ${s.body}`),
        [
          'GET /v1/operations/a/b ',
          'POST /v1/operations/a/b:cancel {}',
          'DELETE /v1/operations/a/b ',
          'GET /v1/operations ',
        ],
      );
      assert.equal(DEFAULT_HTTP_RULES.get, 'GET /v1/{name=operations/**}');
    });

    it('sends list parameters filter, pageSize, pageToken and returnPartialSuccess', async () => {
      await transport(stub.url).list(
        { filter: 'done=true', pageSize: 25, pageToken: 'a b/c', returnPartialSuccess: true },
        {},
      );
      assert.equal(
        stub.seen[0]?.url,
        '/v1/operations?filter=done%3Dtrue&pageSize=25&pageToken=a+b%2Fc&returnPartialSuccess=true',
      );
    });

    it('never encodes the / between segments, and encodes every other reserved character', async () => {
      const t = transport(`${stub.url}/api/`, { rules: { get: 'GET /v1beta/{name=operations/**}' } });
      await t.get('operations/a b/c:d?e#f%g', {});
      assert.equal(stub.seen[0]?.url, '/api/v1beta/operations/a%20b/c%3Ad%3Fe%23f%25g');
    });

    it('rejects a name that does not match the template with a TypeError naming both, before any request', async () => {
      const t = transport(stub.url, {
        rules: {
          get: 'GET /v1beta/{name=operations/*}',
          list: 'GET /v1/{name=projects/*/locations/*}/operations',
        },
      });
      await assert.rejects(t.get('operations/a/b', {}), (e: unknown) => {
        assert.ok(e instanceof TypeError);
        assert.match(e.message, /"operations\/a\/b"/);
        assert.match(e.message, /\{name=operations\/\*\}/);
        return true;
      });
      await assert.rejects(t.list({}, {}), /needs a name matching/);
      await assert.rejects(t.list({ name: 'projects/p' }, {}), TypeError);
      assert.equal(stub.seen.length, 0);
      await t.list({ name: 'projects/p/locations/l' }, {});
      assert.equal(stub.seen[0]?.url, '/v1/projects/p/locations/l/operations');
    });

    it('POSTs { timeout } to a wait rule as a proto3 JSON Duration', async () => {
      const t = transport(stub.url, { rules: { wait: 'POST /v1/{name=operations/**}:wait' } });
      assert.equal(typeof t.wait, 'function');
      await t.wait?.('operations/w', 1500, {});
      assert.equal(stub.seen[0]?.url, '/v1/operations/w:wait');
      assert.deepEqual(JSON.parse(stub.seen[0]?.body ?? ''), { timeout: '1.5s' });
      assert.equal(stub.seen[0]?.headers['content-type'], 'application/json');
    });

    it('rejects malformed rules and base URLs with TypeError', () => {
      assert.throws(() => transport('file:///x'), /baseUrl/);
      for (const get of [
        '/v1/{name}',
        'FETCH /v1/{name}',
        'GET /v1/{id=operations/*}',
        'GET /v1/{name=**/x}',
      ]) {
        assert.throws(() => transport(stub.url, { rules: { get } }), /rules\.get/);
      }
    });
  });

  describe('auth and headers', () => {
    it('sends the API key, a fresh bearer token per call, and extra headers', async () => {
      const stub = await scripted({});
      try {
        let n = 0;
        const t = transport(stub.url, {
          apiKey: 'key-1',
          token: async () => `tok-${++n}`,
          headers: { 'x-goog-user-project': 'proj' },
          callDefaults: { metadata: { 'x-default': 'd' } },
        });
        await t.get('operations/x', { metadata: { 'x-call': 'c' } });
        await t.get('operations/x', {});
        const [first, second] = stub.seen;
        assert.equal(first?.headers['x-goog-api-key'], 'key-1');
        assert.equal(first?.headers.authorization, 'Bearer tok-1');
        assert.equal(second?.headers.authorization, 'Bearer tok-2');
        assert.equal(first?.headers['x-goog-user-project'], 'proj');
        assert.equal(first?.headers['x-default'], 'd');
        assert.equal(first?.headers['x-call'], 'c');
        assert.equal(second?.headers['x-call'], undefined);
      } finally {
        await stub.close();
      }
    });

    it('fails with UNAUTHENTICATED, without a request, when the token provider fails', async () => {
      const stub = await scripted({});
      try {
        const t = transport(stub.url, {
          token: async () => {
            throw new Error('no credentials');
          },
        });
        await assert.rejects(
          t.get('operations/x', {}),
          (e: unknown) =>
            RpcError.is(e) && e.code === Code.UNAUTHENTICATED && /no credentials/.test(e.message),
        );
        assert.equal(stub.seen.length, 0);
      } finally {
        await stub.close();
      }
    });
  });

  describe('errors', () => {
    it('turns an error body with ErrorInfo and BadRequest into RpcError with both decoded', async () => {
      const stub = await scripted({
        status: 400,
        body: googleError(400, 'INVALID_ARGUMENT', 'bad filter', [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'BAD_FILTER',
            domain: 'longrunning.example',
            metadata: { filter: 'x' },
          },
          {
            '@type': 'type.googleapis.com/google.rpc.BadRequest',
            fieldViolations: [{ field: 'filter', description: 'unknown field x' }],
          },
          { '@type': 'type.googleapis.com/acme.Unknown', anything: 1 },
        ]),
      });
      try {
        await assert.rejects(transport(stub.url).list({}, {}), (e: unknown) => {
          assert.ok(RpcError.is(e));
          assert.equal(e.code, Code.INVALID_ARGUMENT);
          assert.equal(e.method, 'ListOperations');
          assert.equal(e.message, 'INVALID_ARGUMENT: bad filter (ListOperations)');
          assert.deepEqual(e.findDetails('google.rpc.ErrorInfo'), [
            { reason: 'BAD_FILTER', domain: 'longrunning.example', metadata: { filter: 'x' } },
          ]);
          const [badRequest] = e.findDetails<{ fieldViolations: { field: string; description: string }[] }>(
            'google.rpc.BadRequest',
          );
          assert.equal(badRequest?.fieldViolations[0]?.field, 'filter');
          assert.equal(badRequest?.fieldViolations[0]?.description, 'unknown field x');
          const unknown = e.details[2];
          assert.equal(unknown?.typeName, 'acme.Unknown');
          assert.equal(unknown?.value, undefined, 'an unknown detail is kept, undecoded');
          assert.ok(unknown?.bytes !== undefined && unknown.bytes.length > 0);
          return true;
        });
      } finally {
        await stub.close();
      }
    });

    it('takes the code from `status`, else from the HTTP status; a non-JSON body gives a message quoting it', async () => {
      const stub = await scripted(
        { status: 400, body: googleError(400, 'FAILED_PRECONDITION', 'locked') },
        { status: 404, body: { error: { code: 404, message: 'nope' } } },
        { status: 502, body: '<html>Bad Gateway</html>' },
      );
      try {
        const t = transport(stub.url, { callDefaults: { retry: false } });
        const codes: [number, string][] = [];
        for (let i = 0; i < 3; i++) {
          await t.get('operations/x', {}).catch((e: unknown) => {
            assert.ok(RpcError.is(e));
            codes.push([e.code, e.rawMessage]);
          });
        }
        assert.deepEqual(codes, [
          [Code.FAILED_PRECONDITION, 'locked'],
          [Code.NOT_FOUND, 'nope'],
          [Code.UNKNOWN, 'HTTP 502 Bad Gateway: <html>Bad Gateway</html>'],
        ]);
      } finally {
        await stub.close();
      }
    });

    it('rejects a 2xx body that is not JSON with INTERNAL', async () => {
      const stub = await scripted({ body: 'not json' });
      try {
        await assert.rejects(
          transport(stub.url).get('operations/x', {}),
          (e: unknown) => RpcError.is(e) && e.code === 13,
        );
      } finally {
        await stub.close();
      }
    });
  });

  describe('retries', () => {
    it('retries 503 and 504 under the policy and succeeds on the 3rd attempt', async () => {
      const stub = await scripted(
        { status: 503, body: googleError(503, 'UNAVAILABLE', 'try later') },
        { status: 504, body: { error: { code: 504, message: 'slow' } } },
        { body: { name: 'operations/x', done: true } },
      );
      try {
        const op = await transport(stub.url).get('operations/x', {});
        assert.equal(op.done, true);
        assert.equal(stub.seen.length, 3);
      } finally {
        await stub.close();
      }
    });

    it('retries 429 only with RetryInfo, after exactly its delay', async () => {
      const retryInfo = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '0.3s' };
      const stub = await scripted(
        { status: 429, body: googleError(429, 'RESOURCE_EXHAUSTED', 'quota') },
        { status: 429, body: googleError(429, 'RESOURCE_EXHAUSTED', 'quota', [retryInfo]) },
        { body: { name: 'operations/x' } },
      );
      try {
        const clock = new FakeClock();
        const t = transport(stub.url, { clock });
        await assert.rejects(t.get('operations/x', {}), (e: unknown) => RpcError.is(e) && e.code === 8);
        assert.equal(stub.seen.length, 1, 'no retry without RetryInfo');
        assert.deepEqual(clock.sleeps, []);
        const pending = t.get('operations/x', {});
        assert.equal(await clock.untilSleeping(), 300, "RetryInfo's retryDelay '0.3s'");
        assert.equal(stub.seen.length, 2, 'no second attempt before the delay');
        await clock.advance(299);
        assert.equal(stub.seen.length, 2);
        await clock.advance(1);
        assert.equal((await pending).name, 'operations/x');
        assert.equal(stub.seen.length, 3);
      } finally {
        await stub.close();
      }
    });

    it('makes one attempt with retry: false and never retries 400', async () => {
      const stub = await scripted(
        { status: 503, body: googleError(503, 'UNAVAILABLE', 'x') },
        { status: 400, body: googleError(400, 'INVALID_ARGUMENT', 'y') },
      );
      try {
        const t = transport(stub.url);
        await assert.rejects(
          t.get('operations/x', { retry: false }),
          (e: unknown) => RpcError.is(e) && e.code === 14,
        );
        await assert.rejects(t.get('operations/x', {}), (e: unknown) => RpcError.is(e) && e.code === 3);
        assert.equal(stub.seen.length, 2);
      } finally {
        await stub.close();
      }
    });

    it('maps a refused connection to UNAVAILABLE', async () => {
      const stub = await scripted({});
      const url = stub.url;
      await stub.close();
      await assert.rejects(
        transport(url).get('operations/x', { retry: false }),
        (e: unknown) => RpcError.is(e) && e.code === Code.UNAVAILABLE && e.cause !== undefined,
      );
    });
  });

  describe('deadlines and abort', () => {
    let server: FakeOperationsServer;
    before(async () => {
      server = await FakeOperationsServer.start({ http: true });
    });
    after(() => server.stop());
    beforeEach(() => {
      server.latencyMs = 0;
      server.resetCounters();
    });

    it('fails with DEADLINE_EXCEEDED at timeoutMs against a server that does not answer', async () => {
      const h = server.create();
      server.latencyMs = 600_000;
      await assert.rejects(
        // 1 s: long enough for the request to reach the server on a loaded machine.
        transport(server.httpUrl).get(h.name, { timeoutMs: 1000, retry: false }),
        (e: unknown) => RpcError.is(e) && e.code === Code.DEADLINE_EXCEEDED,
      );
      assert.equal(server.calls.GetOperation, 1, 'the request was made, and only the deadline ended it');
    });

    it('rejects with the signal reason when aborted mid-call, and leaves no listener', async () => {
      const h = server.create();
      server.latencyMs = 600_000;
      const controller = new AbortController();
      const pending = transport(server.httpUrl).get(h.name, { signal: controller.signal });
      await eventually(() => server.calls.GetOperation === 1, 'the request to reach the server');
      const reason = new Error('user gave up');
      controller.abort(reason);
      await assert.rejects(pending, (e: unknown) => e === reason);

      server.latencyMs = 0;
      const quiet = new AbortController();
      await transport(server.httpUrl).get(h.name, { signal: quiet.signal });
      assert.equal(getEventListeners(quiet.signal, 'abort').length, 0, 'no listener left after a call');
    });

    it('rejects with the reason of an already-aborted signal and sends nothing', async () => {
      const reason = new Error('already');
      await assert.rejects(
        transport(server.httpUrl).get('operations/x', { signal: AbortSignal.abort(reason) }),
        (e: unknown) => e === reason,
      );
      assert.equal(server.calls.GetOperation, 0);
    });
  });
  describe('redirects', () => {
    it('follows no redirect by default: RpcError names the status and the target host, nothing reaches it', async () => {
      const other = await scripted({ body: { name: 'operations/x', done: true } });
      const stub = await scripted({
        status: 302,
        headers: { location: `${other.url}/v1/operations/x?key=abc` },
      });
      try {
        const t = transport(stub.url, { apiKey: 'secret-key-1', callDefaults: { retry: false } });
        await assert.rejects(t.get('operations/x', {}), (e: unknown) => {
          assert.ok(RpcError.is(e));
          assert.equal(e.code, Code.FAILED_PRECONDITION);
          assert.match(e.message, /HTTP 302 redirect to http:\/\/127\.0\.0\.1:\d+ not followed/);
          assert.doesNotMatch(e.message, /key=abc|secret-key-1/);
          return true;
        });
        assert.equal(other.seen.length, 0, 'the other origin got no request');
        assert.equal(stub.seen.length, 1, 'a redirect is not retried');
      } finally {
        await stub.close();
        await other.close();
      }
    });

    it("with redirects: 'same-origin', follows a 308 within the origin keeping method and body, refuses other origins", async () => {
      const other = await scripted({});
      const stub = await scripted(
        { status: 308, headers: { location: '/v2/operations/x:cancel' } },
        {},
        { status: 307, headers: { location: `${other.url}/v1/operations/x` } },
      );
      try {
        const t = transport(stub.url, {
          redirects: 'same-origin',
          apiKey: 'secret-key-2',
          callDefaults: { retry: false },
        });
        await t.cancel('operations/x', {});
        assert.deepEqual(
          stub.seen.map((r) => `${r.method} ${r.url} ${r.body}`),
          ['POST /v1/operations/x:cancel {}', 'POST /v2/operations/x:cancel {}'],
        );
        await assert.rejects(
          t.get('operations/x', {}),
          (e: unknown) =>
            RpcError.is(e) && e.code === Code.FAILED_PRECONDITION && /only redirects within/.test(e.message),
        );
        assert.equal(other.seen.length, 0);
      } finally {
        await stub.close();
        await other.close();
      }
    });

    it("refuses a redirects option other than 'error' or 'same-origin' with a TypeError naming it", () => {
      const options: Partial<RestTransportOptions> = {};
      Reflect.set(options, 'redirects', 'follow');
      assert.throws(
        () => transport('http://127.0.0.1:1', options),
        /^TypeError: redirects must be 'error' or 'same-origin' \(got "follow"\)$/,
      );
    });

    it('never turns a POST into a GET on a 303, and stops after 5 redirects in a row', async () => {
      const stub = await scripted({ status: 303, headers: { location: '/v1/operations/x' } });
      const loop = await scripted({ status: 307, headers: { location: '/v1/operations/loop' } });
      try {
        const options = { redirects: 'same-origin', callDefaults: { retry: false } } as const;
        await assert.rejects(
          transport(stub.url, options).cancel('operations/x', {}),
          /303 would turn POST into GET/,
        );
        assert.equal(stub.seen.length, 1);
        await assert.rejects(transport(loop.url, options).get('operations/x', {}), /more than 5 redirects/);
        assert.equal(loop.seen.length, 6);
      } finally {
        await stub.close();
        await loop.close();
      }
    });
  });

  describe('hostile responses', () => {
    it('reports a 2xx body that is not a JSON object as RpcError INTERNAL (a server fault), not a TypeError', async () => {
      const stub = await scripted({ body: '[1]' }, { body: 'null' }, { body: '"hi"' });
      try {
        const t = transport(stub.url, { callDefaults: { retry: false } });
        const seen: string[] = [];
        for (let i = 0; i < 3; i++) {
          await t.get('operations/x', {}).then(
            () => assert.fail('resolved'),
            (e: unknown) => {
              assert.ok(RpcError.is(e), String(e));
              assert.equal(e.code, Code.INTERNAL);
              seen.push(e.rawMessage);
            },
          );
        }
        assert.deepEqual(seen, [
          'HTTP 200 response is an array, not a JSON object',
          'HTTP 200 response is null, not a JSON object',
          'HTTP 200 response is a string, not a JSON object',
        ]);
      } finally {
        await stub.close();
      }
    });

    it('refuses . and .. segments, raw or percent-encoded, with a TypeError before any request', async () => {
      const stub = await scripted({});
      try {
        const t = transport(stub.url);
        for (const name of [
          'operations/../../../admin/x',
          'operations/./x',
          'operations/%2e%2e/admin',
          'operations/%2E./admin',
          'operations/.%2E',
        ]) {
          await assert.rejects(t.delete(name, {}), (e: unknown) => {
            assert.ok(e instanceof TypeError, `${name}: ${String(e)}`);
            assert.match(e.message, /segment/);
            return true;
          });
        }
        assert.equal(stub.seen.length, 0);
        await t.get('operations/a.b/..c/...', {});
        assert.equal(stub.seen[0]?.url, '/v1/operations/a.b/..c/...', 'dots inside a segment are ordinary');
      } finally {
        await stub.close();
      }
    });
  });

  describe('Retry-After', () => {
    it('retries a 429 with Retry-After (no RetryInfo) after exactly its delay', async () => {
      const stub = await scripted(
        {
          status: 429,
          headers: { 'retry-after': '2' },
          body: googleError(429, 'RESOURCE_EXHAUSTED', 'slow down'),
        },
        { body: { name: 'operations/x', done: true } },
      );
      try {
        const clock = new FakeClock();
        const pending = transport(stub.url, { clock }).get('operations/x', {});
        assert.equal(await clock.untilSleeping(), 2000);
        await clock.advance(1999);
        assert.equal(stub.seen.length, 1, 'no second attempt before the delay');
        await clock.advance(1);
        assert.equal((await pending).done, true);
        assert.equal(stub.seen.length, 2);
      } finally {
        await stub.close();
      }
    });

    it('puts the delay on RpcError.retryDelayMs, and waits at least that long before retrying a 503', async () => {
      const stub = await scripted(
        { status: 503, headers: { 'retry-after': '3' }, body: googleError(503, 'UNAVAILABLE', 'busy') },
        { status: 503, headers: { 'retry-after': '3' }, body: googleError(503, 'UNAVAILABLE', 'busy') },
        { body: { name: 'operations/x' } },
      );
      try {
        const clock = new FakeClock();
        await assert.rejects(
          transport(stub.url, { clock }).get('operations/x', { retry: false }),
          (e: unknown) => RpcError.is(e) && e.retryDelayMs === 3000,
        );
        const pending = transport(stub.url, { clock }).get('operations/x', {});
        assert.equal(
          await clock.untilSleeping(),
          3000,
          'the backoff (about 100 ms) is raised to Retry-After',
        );
        await clock.advance(3000);
        await pending;
      } finally {
        await stub.close();
      }
    });
  });
});
