/**
 * Scenario 17 (issue 22, point 2): a gRPC server that copies the request's
 * `authorization` and `x-goog-api-key` values into its error messages. Every place the
 * client shows an error (RpcError message, stack, inspect with its cause, JSON, details;
 * the wait() rejection and a TimeoutError's message; the tracing span's status; the lro
 * CLI's stderr, --json and NODE_DEBUG log) is searched for the values sent.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type * as otel from '@opentelemetry/api';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { builtinRoot, serviceDefinition } from '../../src/proto/builtin.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import type { FakeMethod } from '../../src/testing/faults.ts';
import { shownOfError } from '../fixtures/shown-error.ts';
import { bounded, insecure, settle } from './helpers.ts';
import { Scenario } from './report.ts';

const report = new Scenario(17, 'Credentials a gRPC server echoes');
const repo = join(import.meta.dirname, '..', '..');
const CLI = join(repo, 'src', 'cli', 'main.ts');

/** Distinctive secret values, fresh per run. */
const token = `lr-echo-token-${randomBytes(12).toString('hex')}`;
const authorization = `Bearer ${token}`;
const apiKey = `AIza-lr-echo-key-${randomBytes(12).toString('hex')}`;
const headers = { authorization, 'x-goog-api-key': apiKey };
const echoHeaders = ['authorization', 'x-goog-api-key'];

/** How many times a secret (the whole authorization value, its token, the key) occurs in `text`. */
function occurrences(text: string): number {
  let n = 0;
  for (const secret of [token, apiKey]) n += text.split(secret).length - 1;
  return n;
}

/** Runs the lro CLI (through tsx) with `args`; resolves its exit code and output (30 s hang guard). */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: repo, env: { ...process.env, NODE_DEBUG: 'longrunning', CI: 'true' }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A tracer provider recording spans in memory, registered for this process. */
async function recordSpans(): Promise<{
  spans(): { status: { message?: string } }[];
  close(): Promise<void>;
}> {
  const api: typeof otel = await import('@opentelemetry/api');
  const sdk = await import('@opentelemetry/sdk-trace-base');
  const exporter = new sdk.InMemorySpanExporter();
  const provider = new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] });
  api.trace.setGlobalTracerProvider(provider);
  return {
    spans: () => exporter.getFinishedSpans(),
    close: async () => {
      await provider.shutdown();
      api.trace.disable();
    },
  };
}

describe('credentials a gRPC server echoes', () => {
  report.test(
    'no header value the client sent (callDefaults.metadata, per-call metadata, wrap() metadata) shows in an error, a wait rejection, a TimeoutError, a span status or lro output, whatever the server echoed',
    async () => {
      const server = await FakeOperationsServer.start();
      const tracing = await recordSpans();
      const client = new OperationsClient({
        address: server.address,
        credentials: insecure,
        callDefaults: { metadata: headers, retry: false },
        polling: { initialDelayMs: 20, maxDelayMs: 50 },
      });
      const plain = new OperationsClient({ address: server.address, credentials: insecure });
      const rows: string[][] = [];
      let echoed = 0;
      try {
        const echo = (method: FakeMethod, code: number, times = 1): void =>
          server.inject({ method, code, times, message: 'refused', echoHeaders });
        /** Runs one failure path: its error is searched, and what the server got proves it echoed the secrets. */
        const check = async (
          label: string,
          method: FakeMethod,
          run: () => Promise<unknown>,
        ): Promise<void> => {
          const outcome = await bounded(settle(run()), 20_000, label);
          assert.equal(outcome.ok, false, `${label}: expected a failure`);
          const error = outcome.ok ? undefined : outcome.error;
          const text = shownOfError(error);
          const sent = server.lastHeaders[method]?.authorization === authorization;
          if (sent) echoed++;
          rows.push([
            label,
            error instanceof Error ? error.name : typeof error,
            String(text.length),
            String(occurrences(text)),
          ]);
          assert.ok(sent, `${label}: the server received the authorization header`);
          assert.match(text, /\[REDACTED\]/, `${label}: the echo is there, redacted`);
        };
        const h = server.create();
        echo('GetOperation', grpc.status.PERMISSION_DENIED);
        await check('getOperation (callDefaults.metadata)', 'GetOperation', () =>
          client.getOperation(h.name),
        );
        echo('GetOperation', grpc.status.PERMISSION_DENIED);
        await check('getOperation (per-call metadata)', 'GetOperation', () =>
          plain.getOperation(h.name, { metadata: headers }),
        );
        echo('ListOperations', grpc.status.INVALID_ARGUMENT);
        await check('listOperations', 'ListOperations', () => client.listOperations({ name: 'operations' }));
        echo('CancelOperation', grpc.status.FAILED_PRECONDITION);
        await check('cancelOperation', 'CancelOperation', () => client.cancelOperation(h.name));
        echo('DeleteOperation', grpc.status.FAILED_PRECONDITION);
        await check('deleteOperation', 'DeleteOperation', () => client.deleteOperation(h.name));
        echo('WaitOperation', grpc.status.PERMISSION_DENIED);
        await check('wait() rejection (WaitOperation)', 'WaitOperation', () =>
          client.operation(server.create().name).wait(),
        );
        // An operation whose own error status quotes them (the server kept the request's headers).
        const quoting = server.create().fail({
          code: grpc.status.PERMISSION_DENIED,
          message: `job refused ${authorization} and ${apiKey}`,
        });
        await check("wait() rejection (an operation's error quoting them)", 'WaitOperation', () =>
          client.operation(quoting.name).wait(),
        );
        echo('GetOperation', grpc.status.UNAVAILABLE, 1000);
        await check('TimeoutError after failed polls', 'GetOperation', () =>
          client.operation(server.create().name).wait({ strategy: 'poll', timeoutMs: 300 }),
        );
        echo('StartExport', grpc.status.RESOURCE_EXHAUSTED);
        const Exporter = grpc.makeGenericClientConstructor(
          serviceDefinition(builtinRoot().lookupService('longrunning.demo.v1.Exporter')),
          'Exporter',
        );
        const exporter = new Exporter(server.address, insecure);
        try {
          const startExport = exporter.startExport?.bind(exporter);
          assert.ok(startExport);
          const start = plain.wrap(startExport);
          await check('wrap() start call (per-call metadata)', 'StartExport', () =>
            start({ source: 's' }, { metadata: headers }),
          );
        } finally {
          exporter.close();
        }
        const spanText = tracing
          .spans()
          .map((s) => s.status.message ?? '')
          .join('\n');
        rows.push(['span status messages', 'spans', String(spanText.length), String(occurrences(spanText))]);
        assert.match(spanText, /\[REDACTED\]/, 'a traced wait failed with the echo, redacted');

        // The CLI, with -H headers, under NODE_DEBUG=longrunning; each run meets an echoing failure.
        const flags = ['--target', server.address, '--insecure', '-H', `authorization: ${authorization}`];
        const runs: [string, FakeMethod, string[], number][] = [
          ['lro get', 'GetOperation', ['get', h.name], 3],
          ['lro get --json --verbose', 'GetOperation', ['get', h.name, '--json', '--verbose'], 3],
          ['lro wait', 'WaitOperation', ['wait', h.name], 3],
          ['lro wait --json', 'WaitOperation', ['wait', h.name, '--json'], 3],
          ['lro list --json', 'ListOperations', ['list', '--json'], 3],
          ['lro cancel', 'CancelOperation', ['cancel', h.name], 3],
        ];
        runs.push([
          "lro wait (an operation's error quoting them)",
          'WaitOperation',
          ['wait', quoting.name],
          1,
        ]);
        for (const [label, method, args, exit] of runs) {
          if (args[1] !== quoting.name) echo(method, grpc.status.PERMISSION_DENIED);
          const r = await cli([...args, ...flags, '-H', `x-goog-api-key: ${apiKey}`]);
          const output = `${r.stdout}\n${r.stderr}`;
          const sent = server.lastHeaders[method]?.authorization === authorization;
          if (sent) echoed++;
          rows.push([label, `exit ${r.code}`, String(output.length), String(occurrences(output))]);
          assert.equal(r.code, exit, `${label}: ${r.stderr.slice(0, 300)}`);
          assert.ok(sent, `${label}: the server received the header`);
          assert.match(output, /\[REDACTED\]/, `${label}: the echo is shown, redacted`);
        }
      } finally {
        client.close();
        plain.close();
        await tracing.close();
        await server.stop();
      }
      const total = rows.reduce((n, r) => n + Number(r[3]), 0);
      report.input(
        `callDefaults.metadata { authorization: 'Bearer lr-echo-token-<24 hex>', 'x-goog-api-key': 'AIza-lr-echo-key-<24 hex>' } (fresh per run) on an OperationsClient; the same values as per-call metadata on getOperation() and on a wrap()ped grpc-js stub; the lro CLI with -H for both, under NODE_DEBUG=longrunning`,
      );
      report.fault(
        `The fake server answers each RPC once with an error whose message quotes the request's authorization and x-goog-api-key (Fault.echoHeaders): GetOperation, ListOperations, CancelOperation, DeleteOperation, WaitOperation, StartExport; UNAVAILABLE on every poll of a wait that times out; an operation whose own error status quotes both values (a wait's OperationError, lro wait)`,
      );
      report.table(['failure path', 'error', 'characters shown', 'secrets shown'], rows);
      report.outcome(
        `${rows.length} failure paths checked (message, stack, inspect with cause, JSON, details, span status, CLI stdout and stderr); the server received and echoed the secrets on ${echoed} of them; secrets shown: ${total}`,
      );
      assert.equal(total, 0, 'secrets shown');
    },
    { timeout: 120_000 },
  );
});
