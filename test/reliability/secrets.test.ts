import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe } from 'node:test';
import { promisify } from 'node:util';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { Scenario } from './report.ts';

const run = promisify(execFile);
const report = new Scenario(7, 'Secrets');
const repo = join(import.meta.dirname, '..', '..');
const CLI = join(repo, 'src', 'cli', 'main.ts');

/** Distinctive secret values, fresh per run. */
const authorization = `Bearer lr-secret-token-${randomBytes(12).toString('hex')}`;
const apiKey = `AIza-lr-secret-key-${randomBytes(12).toString('hex')}`;

/** The places in `text` where a secret (or its token part) appears. */
function leaks(text: string): string[] {
  const found: string[] = [];
  for (const secret of [authorization, authorization.slice('Bearer '.length), apiKey]) {
    if (text.includes(secret)) found.push(secret.slice(0, 24));
  }
  return found;
}

/** Runs the lro CLI against this process's servers; resolves its exit code and output. */
function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: repo, env: { ...process.env, NODE_DEBUG: 'longrunning', CI: 'true', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** An HTTP proxy in front of `target` that records the x-goog-api-key of each request (proof the CLI sent it). */
async function keyRecordingProxy(
  target: string,
): Promise<{ url: string; keys: string[]; authorizations: string[]; close(): Promise<void> }> {
  const keys: string[] = [];
  const authorizations: string[] = [];
  const server = createServer((req, res) => {
    keys.push(String(req.headers['x-goog-api-key'] ?? ''));
    authorizations.push(String(req.headers.authorization ?? ''));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
      fetch(`${target}${req.url ?? '/'}`, {
        method: req.method ?? 'GET',
        ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
      }).then(
        async (answer) => {
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'application/json',
          });
          res.end(Buffer.from(await answer.arrayBuffer()));
        },
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    keys,
    authorizations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** One lro run to check: a label, its arguments and environment, and the exit code it must give. */
type CliRun = readonly [label: string, args: string[], env: NodeJS.ProcessEnv, exit: number];

/**
 * Runs each CLI case, asserting its exit code and that no secret appears in its output;
 * returns the report rows (label, exit, output bytes, secret occurrences) and the bytes read.
 */
async function checkCliRuns(runs: readonly CliRun[]): Promise<{ rows: string[][]; bytes: number }> {
  const rows: string[][] = [];
  let bytes = 0;
  for (const [label, args, env, wantExit] of runs) {
    const { code, stdout, stderr } = await cli(args, env);
    bytes += stdout.length + stderr.length;
    const found = [...leaks(stdout), ...leaks(stderr)];
    rows.push([label, String(code), String(stdout.length + stderr.length), String(found.length)]);
    assert.equal(code, wantExit, `${label}: exit code (stderr: ${stderr.slice(0, 300)})`);
    assert.deepEqual(found, [], `${label}: no secret in the output`);
  }
  return { rows, bytes };
}

describe('secrets', () => {
  report.test(
    'authorization and x-goog-api-key values never appear in error messages, stacks, inspect output, toJSON() or the NODE_DEBUG=longrunning log',
    async () => {
      const { stdout, stderr } = await run(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'secrets-child.ts'), authorization, apiKey],
        {
          cwd: repo,
          env: { ...process.env, NODE_DEBUG: 'longrunning' },
          timeout: 60_000,
          maxBuffer: 16 * 2 ** 20,
        },
      );
      const cases = /=== shown (\d+): (.*)/.exec(stdout);
      assert.ok(cases, 'the child ran to the end');
      assert.match(stderr, /LONGRUNNING \d+: cancel on abort of /, 'the debug log was on and written');
      const found = [...leaks(stdout), ...leaks(stderr)];
      report.input(
        `callDefaults.metadata { authorization: 'Bearer lr-secret-token-<24 hex>', 'x-goog-api-key': 'AIza-lr-secret-key-<24 hex>' } (fresh per run) on an OperationsClient (gRPC) and an OperationsRestClient (HTTP/JSON, which also gets them as its apiKey and token options); the same values as per-call metadata on wait() and getOperation()`,
      );
      report.input(
        `${cases[1]} failure paths and views, in a child process under NODE_DEBUG=longrunning: ${cases[2]}`,
      );
      report.fault(
        'On both transports: NOT_FOUND, UNAUTHENTICATED, PERMISSION_DENIED (injected), DEADLINE_EXCEEDED (latency), a timed-out wait, failed / resultless / unreadable operations, a CancelOperation failure after abort (logged to the debug log), an unreachable server; a failing token provider',
      );
      report.outcome(
        `Each error's message, stack, util.inspect(showHidden, depth 8) with its cause, JSON.stringify, and each toJSON() were printed: ${stdout.length.toLocaleString('en')} bytes of stdout and ${stderr.length.toLocaleString('en')} bytes of stderr (debug log included) hold ${found.length} secret occurrences`,
      );
      assert.deepEqual(found, [], 'no secret in any output');
    },
    { timeout: 90_000 },
  );

  report.test(
    'lro get / wait output (plain, --json, --verbose, errors) never contains the --api-key or LRO_API_KEY value',
    async () => {
      const server = await FakeOperationsServer.start({ http: true });
      const proxy = await keyRecordingProxy(server.httpUrl);
      try {
        const done = server.create().succeed('google.protobuf.StringValue', { value: 'ok' });
        const running = server.create();
        const rest = ['--rest', proxy.url];
        const runs: CliRun[] = [
          ['get --api-key', ['get', done.name, ...rest, '--api-key', apiKey], {}, 0],
          ['get --json (LRO_API_KEY)', ['get', done.name, ...rest, '--json'], { LRO_API_KEY: apiKey }, 0],
          [
            'get NOT_FOUND --verbose',
            ['get', 'operations/missing', ...rest, '--api-key', apiKey, '--verbose'],
            {},
            3,
          ],
          [
            'wait --timeout 200ms',
            ['wait', running.name, ...rest, '--api-key', apiKey, '--timeout', '200ms'],
            {},
            4,
          ],
        ];
        const { rows, bytes } = await checkCliRuns(runs);
        const sent = proxy.keys.filter((k) => k === apiKey).length;
        // Every request carried the key, and the three `get` runs were answered, so at least
        // three were sent. (Whether the wait's request leaves before its 200 ms --timeout
        // depends on the machine's load: not counted.)
        assert.equal(sent, proxy.keys.length, 'a request without the key');
        assert.ok(sent >= 3, `the key was really sent (${sent} requests carried it)`);
        report.table(['lro run (HTTP/JSON)', 'exit', 'output bytes', 'secret occurrences'], rows);
        report.outcome(
          `lro CLI: ${runs.length} runs over HTTP/JSON with the API key (flag or LRO_API_KEY), ${bytes.toLocaleString('en')} bytes of output, 0 secret occurrences; ${sent} requests carried the key`,
        );
      } finally {
        await proxy.close();
        await server.stop();
      }
    },
    { timeout: 90_000 },
  );
  report.test(
    'lro output over gRPC and HTTP/JSON (plain, --json, --verbose, errors) never contains an authorization header sent with -H',
    async () => {
      const server = await FakeOperationsServer.start({ http: true });
      const proxy = await keyRecordingProxy(server.httpUrl);
      try {
        const done = server.create().succeed('google.protobuf.StringValue', { value: 'ok' });
        const running = server.create();
        const header = ['-H', `authorization: ${authorization}`];
        const transports: [string, string[]][] = [
          ['gRPC', ['--target', server.address, '--insecure']],
          ['HTTP/JSON', ['--rest', proxy.url]],
        ];
        const { rows, bytes } = await checkCliRuns(
          transports.flatMap(([transport, target]): CliRun[] => [
            [`${transport}: get`, ['get', done.name, ...target, ...header], {}, 0],
            [`${transport}: get --json`, ['get', done.name, ...target, ...header, '--json'], {}, 0],
            [
              `${transport}: get NOT_FOUND --verbose`,
              ['get', 'operations/missing', ...target, ...header, '--verbose'],
              {},
              3,
            ],
            [
              `${transport}: wait --timeout 200ms`,
              ['wait', running.name, ...target, ...header, '--timeout', '200ms'],
              {},
              4,
            ],
          ]),
        );
        const sent = proxy.authorizations.filter((a) => a === authorization).length;
        // As above: every HTTP/JSON request carried the header; the three `get` runs were answered.
        assert.equal(sent, proxy.authorizations.length, 'an HTTP/JSON request without the header');
        assert.ok(sent >= 3, `the header was really sent over HTTP/JSON (${sent} requests carried it)`);
        report.table(['lro run (-H authorization)', 'exit', 'output bytes', 'secret occurrences'], rows);
        report.outcome(
          `lro CLI: ${rows.length} runs with an authorization header over gRPC and HTTP/JSON, ${bytes.toLocaleString('en')} bytes of output, 0 secret occurrences; ${sent} HTTP requests carried the header`,
        );
      } finally {
        await proxy.close();
        await server.stop();
      }
    },
    { timeout: 90_000 },
  );
});
