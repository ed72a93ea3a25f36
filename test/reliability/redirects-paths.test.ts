/**
 * Scenario 10 (issue 13, points 1, 2 and 4): hostile HTTP servers redirecting requests,
 * operation names built to leave the API's base path, and error pages echoing the
 * request's secrets. Every server is node:http on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe } from 'node:test';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { RpcError } from '../../src/wire/errors.ts';
import { type LoopbackServer, loopbackServer } from '../transport/loopback-http.ts';
import { settle } from './helpers.ts';
import { Scenario } from './report.ts';

const report = new Scenario(10, 'Redirects, paths and echoed secrets (REST)');
const repo = join(import.meta.dirname, '..', '..');

const apiKey = `AIza-lr-redirect-key-${randomBytes(12).toString('hex')}`;
const token = `ya29.lr-redirect-token-${randomBytes(12).toString('hex')}`;
const custom = `lr-custom-header-${randomBytes(12).toString('hex')}`;
const SECRETS = [apiKey, token, custom];

/** How many secret values occur in `text`. */
function exposed(text: string): number {
  return SECRETS.filter((s) => text.includes(s)).length;
}

/** Every header value and the URL of each request `server` received, as one text to search for secrets. */
function received(server: LoopbackServer): string {
  return server.requests.map((r) => `${r.url} ${JSON.stringify(r.headers)}`).join('\n');
}

function client(baseUrl: string, redirects?: 'same-origin'): OperationsRestClient {
  return new OperationsRestClient({
    baseUrl,
    apiKey,
    token: async () => token,
    headers: { 'x-custom-secret': custom },
    callDefaults: { retry: false, timeoutMs: 10_000 },
    ...(redirects === undefined ? {} : { redirects }),
  });
}

/** An operation in the JSON every request of the victim server gets. */
const OPERATION = JSON.stringify({ name: 'operations/a', done: false });
function answer(res: ServerResponse, status = 200, body = OPERATION): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body);
}

describe('redirects, paths and echoed secrets', () => {
  report.test(
    'a redirect to another origin sends nothing there and fails with an RpcError naming status and host',
    async () => {
      const elsewhere = await loopbackServer((_req, res) => answer(res));
      const statuses = [301, 302, 303, 307, 308];
      let redirectTo = `${elsewhere.url}/steal`;
      const origin = await loopbackServer((_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(Number(res.req.url?.split('/s')[1]?.slice(0, 3) ?? 302), { location: redirectTo });
        res.end();
      });
      let calls = 0;
      let lost = 0;
      let messages = '';
      try {
        for (const follow of [undefined, 'same-origin'] as const) {
          for (const location of [`${elsewhere.url}/steal`, origin.url.replace('http:', 'https:')]) {
            redirectTo = location;
            for (const status of statuses) {
              const c = client(`${origin.url}/s${status}`, follow);
              const runs: (() => Promise<unknown>)[] = [
                () => c.getOperation('operations/a'),
                () => c.cancelOperation('operations/a'),
                () => c.deleteOperation('operations/a'),
                () => c.listOperations({}),
              ];
              for (const run of runs) {
                calls++;
                const r = await settle(run());
                const ok =
                  !r.ok &&
                  RpcError.is(r.error) &&
                  r.error.code === 9 &&
                  r.error.message.includes(`HTTP ${status} redirect to ${new URL(location).origin}`);
                if (!ok) lost++;
                if (!r.ok)
                  messages += `${String(r.error)}\n${r.error instanceof Error ? r.error.stack : ''}\n`;
              }
              c.close();
            }
          }
        }
        const leaked = exposed(received(elsewhere)) + exposed(messages);
        report.input(
          `${calls} calls (GetOperation, CancelOperation, DeleteOperation, ListOperations) with an API key, a bearer token and a custom header; redirects off (default) and 'same-origin'`,
        );
        report.fault(
          `the server answers 301/302/303/307/308 with a Location on another loopback port, or the same host and port with https instead of http`,
        );
        report.outcome(
          `requests reaching the other origin: ${elsewhere.requests.length}; calls failing with FAILED_PRECONDITION naming the status and target origin: ${calls - lost} of ${calls}`,
        );
        report.outcome(`secrets exposed: ${leaked}`);
        report.lost(lost);
        assert.equal(elsewhere.requests.length, 0);
        assert.equal(lost, 0);
        assert.equal(leaked, 0);
      } finally {
        await origin.close();
        await elsewhere.close();
      }
    },
  );

  report.test('a same-origin redirect is followed when asked for, and only then', async () => {
    const server = await loopbackServer((req, res) => {
      if (req.url?.startsWith('/old/') === true) {
        res.writeHead(308, { location: req.url.replace('/old/', '/new/') });
        res.end();
      } else answer(res);
    });
    try {
      const c = client(`${server.url}/old`, 'same-origin');
      const op = await c.getOperation('operations/a');
      await c.cancelOperation('operations/a');
      c.close();
      assert.equal(op.name, 'operations/a');
      assert.deepEqual(
        server.requests.map((r) => `${r.method} ${r.url}`),
        [
          'GET /old/v1/operations/a',
          'GET /new/v1/operations/a',
          'POST /old/v1/operations/a:cancel',
          'POST /new/v1/operations/a:cancel',
        ],
      );
      report.outcome(
        `with redirects: 'same-origin', a 308 within the origin is followed with the same method (GET, POST :cancel)`,
      );
    } finally {
      await server.close();
    }
  });

  report.test(
    'operation names with . or .. segments never leave the base path, whatever the route',
    async () => {
      const hostileName = 'operations/../../../admin/x';
      const server = await loopbackServer((req, res) => {
        // The server names its operation so as to send a later delete() elsewhere.
        answer(res, 200, JSON.stringify({ name: hostileName, done: false }));
        void req;
      });
      const names = [
        hostileName,
        'operations/./x',
        'operations/%2e%2e/%2e%2e/admin',
        'operations/%2E%2e/admin',
        'operations/x/..',
        'operations/.%2e/admin',
      ];
      let routes = 0;
      let refused = 0;
      try {
        const c = client(server.url);
        for (const name of names) {
          const attempts: [string, () => Promise<unknown>][] = [
            ['deleteOperation', () => c.deleteOperation(name)],
            ['getOperation', () => c.getOperation(name)],
            ['cancelOperation', () => c.cancelOperation(name)],
            ['op.delete()', () => c.operation(name).delete()],
            ['resume token', () => c.resume(c.operation(name).serialize()).delete()],
          ];
          for (const [, run] of attempts) {
            routes++;
            const r = await settle(run());
            if (!r.ok && r.error instanceof TypeError && /segment/.test(r.error.message)) refused++;
          }
        }
        // A name returned by the server: poll adopts it or rejects it; delete() must not follow it out.
        const op = c.operation('operations/a');
        await settle(op.poll());
        const fromServer = await settle(op.delete());
        routes++;
        if (fromServer.ok || fromServer.error instanceof TypeError) refused++;
        c.close();

        const cli = await new Promise<{ code: number; stderr: string }>((resolve) =>
          execFile(
            process.execPath,
            [
              '--import',
              'tsx',
              join(repo, 'src', 'cli', 'main.ts'),
              'delete',
              hostileName,
              '--rest',
              server.url,
            ],
            { cwd: repo, env: { ...process.env, CI: 'true' }, timeout: 30_000 },
            (error, _stdout, stderr) =>
              resolve({
                code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
                stderr,
              }),
          ),
        );
        routes++;
        if (cli.code === 2) refused++;

        const escaped = server.requests.filter((r) => !(r.url ?? '').startsWith('/v1/operations/')).length;
        report.input(
          `${names.length} names (${names.map((n) => `\`${n}\``).join(', ')}) through deleteOperation, getOperation, cancelOperation, op.delete(), a resume token; a name returned by the server; \`lro delete … --rest\``,
        );
        report.outcome(
          `requests outside /v1/operations/: ${escaped}; routes refused with a TypeError before any request: ${refused} of ${routes} (lro exit ${cli.code})`,
        );
        report.lost(routes - refused);
        assert.equal(escaped, 0, server.requests.map((r) => r.url).join(', '));
        assert.equal(refused, routes, cli.stderr);
      } finally {
        await server.close();
      }
    },
  );

  report.test('an error page echoing the request headers is shown with every secret redacted', async () => {
    const server = await loopbackServer((req, res) => {
      res.writeHead(401, { 'content-type': 'text/html' });
      res.end(`<html><h1>401</h1><pre>${req.url} ${JSON.stringify(req.headers)}</pre></html>`);
    });
    try {
      const c = client(server.url);
      const r = await settle(c.getOperation('operations/a', { metadata: { 'x-call': custom } }));
      c.close();
      assert.ok(!r.ok && RpcError.is(r.error), 'fails with RpcError');
      const shown = `${r.error.message}\n${r.error.stack ?? ''}\n${JSON.stringify(r.error)}`;
      const leaked = exposed(shown);
      assert.equal(exposed(received(server)), SECRETS.length, 'the secrets were really sent');
      report.fault('a 401 HTML page quoting the request headers (API key, bearer token, custom header)');
      report.outcome(
        `the RpcError (UNAUTHENTICATED) quotes the page with [REDACTED] in their place; secrets exposed: ${leaked}`,
      );
      assert.match(r.error.message, /\[REDACTED\]/);
      assert.equal(leaked, 0);
    } finally {
      await server.close();
    }
  });
});
