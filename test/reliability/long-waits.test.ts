/**
 * Long waits: the heap of one wait stays flat over 100,000 polls, and a wait with no
 * timeout against a server it cannot reach settles (polling rule 10: the failure budget)
 * instead of hanging, reporting each retry and logging it without header values.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { RpcError, TimeoutError } from '../../src/wire/errors.ts';
import { heapPerPoll } from './heap-per-poll.ts';
import { bounded, insecure, settle, since } from './helpers.ts';
import { Scenario } from './report.ts';

const report = new Scenario(15, 'Long waits: memory per poll, unreachable servers');
/** Heap growth allowed per poll; a sleep that raced a never-settling promise grew ~1.3 KB. */
const MAX_BYTES_PER_POLL = 64;
const BUDGET_MS = 1000;
const POLLING = {
  initialDelayMs: 20,
  multiplier: 1.5,
  maxDelayMs: 200,
  jitter: 0,
  failureBudgetMs: BUDGET_MS,
};

/** A loopback port where nothing listens (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A loopback TCP server that answers every connection with an HTTP/1.1 error and closes it. */
async function wrongProtocolServer(): Promise<{ address: string; server: Server }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { address: `127.0.0.1:${address.port}`, server };
}

/** Waits (no timeout) on an operation at `address`; returns the outcome, the retries reported and the time taken. */
async function waitUnreachable(address: string, credentials: grpc.ChannelCredentials) {
  const client = new OperationsClient({ address, credentials, callDefaults: { retry: false } });
  const retries: [number, number, number][] = [];
  const started = performance.now();
  try {
    const outcome = await settle(
      bounded(
        client.operation('operations/unreachable').wait({
          polling: POLLING,
          onRetry: (error, attempt, nextDelayMs) => retries.push([error.code, attempt, nextDelayMs]),
        }),
        20_000,
        'a wait against an unreachable server',
      ),
    );
    return { outcome, retries, ms: since(started) };
  } finally {
    client.close();
  }
}

describe('long waits', () => {
  report.input('one wait polling 100,000 times on a FakeClock against an in-memory transport');
  report.input(`wait() without timeoutMs, failureBudgetMs ${BUDGET_MS}, and a wait with timeoutMs 300`);
  report.fault(
    'a loopback port with nothing listening; TLS to a plaintext server; a server speaking HTTP/1.1',
  );

  report.test(
    `a wait of 100,000 polls grows the heap by less than ${MAX_BYTES_PER_POLL} bytes per poll`,
    async () => {
      const { bytesPerPoll, gets } = await heapPerPoll(100_000);
      report.table(
        ['polls', 'heap growth per poll (after GC)', 'before the fix'],
        [[gets, `${bytesPerPoll.toFixed(1)} B`, '1280.5 B (a sleep raced a shared never-settling promise)']],
      );
      assert.equal(gets, 100_000);
      assert.ok(bytesPerPoll < MAX_BYTES_PER_POLL, `${bytesPerPoll.toFixed(1)} bytes per poll`);
    },
  );

  const unreachable: [
    string,
    () => Promise<{ address: string; credentials: grpc.ChannelCredentials; close(): Promise<void> }>,
  ][] = [
    [
      'nothing listening',
      async () => ({
        address: `127.0.0.1:${await closedPort()}`,
        credentials: insecure,
        close: async () => {},
      }),
    ],
    [
      'TLS to a plaintext server',
      async () => {
        const server = await FakeOperationsServer.start();
        return {
          address: server.address,
          credentials: grpc.credentials.createSsl(),
          close: () => server.stop(),
        };
      },
    ],
    [
      'a server speaking HTTP/1.1',
      async () => {
        const { address, server } = await wrongProtocolServer();
        return {
          address,
          credentials: insecure,
          // Stops listening; the sockets it answered are already ended.
          close: async () => {
            server.close();
          },
        };
      },
    ],
  ];
  const rows: (string | number)[][] = [];
  for (const [label, start] of unreachable) {
    report.test(`a wait without timeout settles with an RpcError against ${label}`, async () => {
      const target = await start();
      try {
        const { outcome, retries, ms } = await waitUnreachable(target.address, target.credentials);
        assert.equal(outcome.ok, false, 'the wait cannot succeed');
        const error = outcome.ok ? undefined : outcome.error;
        assert.ok(RpcError.is(error), `an RpcError, not ${String(error)}`);
        rows.push([label, `${error.codeName}`, retries.length, `${(ms / 1000).toFixed(1)} s`]);
        if (retries.length > 0) {
          // A retryable failure: polling went on until the budget was spent, reporting each retry.
          assert.ok(ms >= BUDGET_MS, `settled after ${ms.toFixed(0)} ms, before the budget`);
          assert.deepEqual(
            retries.map(([, attempt]) => attempt),
            retries.map((_, i) => i + 1),
          );
        }
      } finally {
        await target.close();
      }
      if (rows.length === unreachable.length) {
        report.table(['server', 'rejected with', 'onRetry calls', 'settled after'], rows);
        report.lost(0);
      }
    });
  }

  report.test(
    'a wait with a timeout against nothing listening rejects with TimeoutError whose cause is the last RpcError',
    async () => {
      const client = new OperationsClient({
        address: `127.0.0.1:${await closedPort()}`,
        credentials: insecure,
      });
      try {
        const outcome = await settle(
          bounded(
            client
              .operation('operations/unreachable')
              .wait({ timeoutMs: 300, polling: { ...POLLING, failureBudgetMs: 60_000 } }),
            10_000,
            'a wait with timeoutMs',
          ),
        );
        const error = outcome.ok ? undefined : outcome.error;
        assert.ok(TimeoutError.is(error), String(error));
        assert.ok(RpcError.is(error.cause), `cause: ${String(error.cause)}`);
        assert.match(error.message, /last poll failed: UNAVAILABLE/);
      } finally {
        client.close();
      }
    },
  );

  report.test('NODE_DEBUG=longrunning logs each retried poll, never a header value', async () => {
    const secret = `lr-secret-${randomBytes(12).toString('hex')}`;
    const child = join(import.meta.dirname, 'retry-log-child.ts');
    const address = `127.0.0.1:${await closedPort()}`;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--import', 'tsx', child, address, secret],
        { env: { ...process.env, NODE_DEBUG: 'longrunning' }, timeout: 20_000 },
        (error, out, err) => (error === null ? resolve({ stdout: out, stderr: err }) : reject(error)),
      ),
    );
    assert.deepEqual(JSON.parse(stdout), { ok: false, rpcError: true, code: grpc.status.UNAVAILABLE });
    assert.match(
      stderr,
      /LONGRUNNING \d+: poll of operations\/unreachable failed \(1 in a row\), next in 20 ms: UNAVAILABLE/,
    );
    assert.equal(stderr.includes(secret), false, 'the authorization header value stays out of the log');
    report.outcome('each retried poll logs one line under NODE_DEBUG=longrunning; secrets exposed: 0');
  });
});
