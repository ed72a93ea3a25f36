/**
 * `lro` flags, streams and connections: --version, conflicting and malformed flags, the
 * --interval floor, connection hints, `serve` binding rules, a closed stdout, the progress
 * bar on a terminal, and the line printed for each failed poll.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import type { FakeOperationHandle } from '../../src/testing.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';
import { CONTROL, exited, lro, lroTty, start } from './helpers.ts';

const METADATA = 'longrunning.demo.v1.ExportMetadata';
const RESULT = 'longrunning.demo.v1.ExportResult';

/** Resolves once `condition()` holds, checking every 5 ms; rejects after 10 s naming `what`. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`${what}: not within 10 s`);
}

/** A port nothing listens on now: bound on 127.0.0.1 by the OS, then released. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  assert.ok(typeof address === 'object' && address !== null);
  return address.port;
}

describe('lro flags and streams', () => {
  let server: FakeOperationsServer;
  let flags: string[];

  before(async () => {
    server = await FakeOperationsServer.start();
    flags = ['--target', server.address, '--insecure'];
  });
  after(() => server.stop());

  it('prints the package version for --version and -V', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await lro([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^\d+\.\d+\.\d+\S*\n$/);
    }
  });

  it('refuses --rest with --target as a usage error, while LRO_TARGET in the environment does not conflict', async () => {
    const both = await lro(['get', 'operations/x', '--rest', 'http://127.0.0.1:1', ...flags]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^lro: --rest and --target both given/);
    const fromEnv = await lro(['get', 'operations/x', '--rest', `http://127.0.0.1:${await freePort()}`], {
      LRO_TARGET: server.address,
    });
    assert.equal(fromEnv.code, 3, 'the REST call is made (and fails: nothing listens)');
  });

  it('refuses --page-size 0x10, 1.5, 1e3 and 2^31 as usage errors naming --page-size', async () => {
    for (const size of ['0x10', '1.5', '1e3', '2147483648', '-1']) {
      const r = await lro(['list', ...flags, `--page-size=${size}`]);
      assert.equal(r.code, 2, `${size}: ${r.stderr}`);
      assert.match(r.stderr, /^lro: --page-size: expected a whole number from 0 to 2147483647/);
    }
    assert.equal(server.calls.ListOperations, 0, 'nothing was sent');
  });

  it('names --timeout, not timeoutMs, for a 400-digit --timeout', async () => {
    const r = await lro(['wait', 'operations/x', ...flags, '--timeout', '9'.repeat(400)]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^lro: --timeout: duration 9{20}… \(400 characters\) is too long/);
    assert.doesNotMatch(r.stderr, /timeoutMs/);
  });

  it('raises --interval 0 to 100ms with a note, so a 1 s wait polls at most 12 times', async () => {
    server.create({ name: 'operations/interval-0' });
    server.resetCounters();
    const r = await lro([
      'wait',
      'operations/interval-0',
      ...flags,
      '--strategy',
      'poll',
      '--interval',
      '0',
      '--timeout',
      '1s',
    ]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /^lro: --interval 0 is below the minimum; polling every 100ms\n/);
    assert.ok(server.calls.GetOperation <= 12, `${server.calls.GetOperation} polls in 1 s`);
  });

  it('hints --insecure for TLS against a plaintext server, without Node deprecation warnings', async () => {
    const r = await lro(['get', 'operations/x', '--target', server.address]);
    assert.equal(r.code, 3);
    assert.equal(
      r.stderr,
      `lro: UNAVAILABLE: cannot connect (GetOperation): the TLS handshake failed: the server does not speak TLS\n` +
        'lro: hint: pass --insecure for a plaintext server\n',
    );
  });

  it('lro wait on a server never reached exits 3 after the connect budget with the hint lro get gives (rule 14)', async () => {
    const port = await freePort();
    // The library's connectBudgetMs is 20 s: the hang guard is longer.
    const r = await lro(['wait', 'operations/x', '--target', `127.0.0.1:${port}`, '--insecure'], {}, 60_000);
    assert.equal(r.code, 3);
    assert.match(
      r.stderr,
      new RegExp(
        `^lro: UNAVAILABLE: cannot connect to 127\\.0\\.0\\.1:${port} \\((Wait|Get)Operation\\): connection refused\n` +
          'lro: hint: is the server running, and is the port right\\?\n$',
        'm',
      ),
    );
  });

  it('says connection refused, not "pass TLS credentials", when nothing listens, with or without --insecure', async () => {
    const port = await freePort();
    for (const insecure of [[], ['--insecure']]) {
      const r = await lro(['get', 'operations/x', '--target', `127.0.0.1:${port}`, ...insecure]);
      assert.equal(r.code, 3);
      assert.equal(
        r.stderr,
        `lro: UNAVAILABLE: cannot connect to 127.0.0.1:${port} (GetOperation): connection refused\n` +
          'lro: hint: is the server running, and is the port right?\n',
      );
    }
    // The library's own error carries no TLS hint either (transport/grpc.ts), so --json and
    // --verbose, which show more of it, do not point the wrong way.
    const client = new OperationsClient({
      address: `127.0.0.1:${port}`,
      credentials: grpc.credentials.createInsecure(),
    });
    try {
      const error = await client.getOperation('operations/x', { retry: false }).then(
        () => assert.fail('resolved'),
        (e: unknown) => e,
      );
      assert.ok(RpcError.is(error));
      assert.equal(error.hint, undefined);
      assert.doesNotMatch(error.message, /TLS/);
    } finally {
      client.close();
    }
  });

  it('serve refuses a non-loopback --host without --public, and a busy --port or --http-port, in one line with exit 2', async () => {
    const open = await lro(['serve', '--host', '0.0.0.0']);
    assert.equal(open.code, 2);
    assert.match(open.stderr, /^lro: --host 0\.0\.0\.0: not a loopback address; .* pass --public/);
    assert.equal(open.stderr.split('\n').length, 2, open.stderr);
    const busy = await lro(['serve', '--port', String(server.port)]);
    assert.equal(busy.code, 2);
    assert.equal(
      busy.stderr,
      `lro: --port ${server.port}: 127.0.0.1:${server.port} is already in use (pick another port, or 0 for a free one)\n`,
    );
    const busyHttp = await lro(['serve', '--http-port', String(server.port)]);
    assert.equal(busyHttp.code, 2);
    assert.equal(
      busyHttp.stderr,
      `lro: --http-port ${server.port}: 127.0.0.1:${server.port} is already in use (pick another port, or 0 for a free one)\n`,
    );
  });

  it('serve --http-port serves the HTTP/JSON mapping on that port', async () => {
    const port = await freePort();
    const serve = await start(['serve', '--http-port', String(port)], /http on \S+\n/);
    try {
      assert.match(serve.output(), new RegExp(`http on http://127\\.0\\.0\\.1:${port}\n`));
      const r = await lro(['get', 'operations/none', '--rest', `http://127.0.0.1:${port}`]);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /^lro: NOT_FOUND/);
    } finally {
      serve.child.kill('SIGTERM');
      assert.equal(await exited(serve.child), 0);
    }
  });

  it('exits 141 without a word when stdout closes during list --all (as `| head -1` does)', async () => {
    for (let i = 0; i < 3000; i++) server.create({ name: `operations/many-${String(i).padStart(4, '0')}` });
    const listing = await start(['list', ...flags, '--all'], /\n/);
    listing.child.stdout?.destroy();
    let stderr = '';
    listing.child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    assert.equal(await exited(listing.child), 141);
    assert.equal(stderr, '');
  });

  /**
   * Steps `op` through 10%, 40%, 70% and done at 100%, holding each state for two polls
   * that arrive after it was set, so a CLI polling it sees every one.
   */
  async function stepThrough(op: FakeOperationHandle): Promise<void> {
    const polls = (): number => server.calls.GetOperation;
    for (const percent of [40, 70, 100]) {
      const seen = polls() + 2;
      await until(() => polls() >= seen, `poll ${seen}`);
      if (percent < 100) op.setMetadata({ progressPercent: percent });
      else
        op.setMetadata({ progressPercent: 100 }).succeed(RESULT, {
          uri: `export://${op.name.slice(op.name.lastIndexOf('/') + 1)}`,
          rowCount: 1,
        });
    }
  }

  it('prints one plain line per change without a terminal, then the final snapshot, exit 0', async () => {
    const op = server.create({
      name: 'operations/plain',
      metadataType: METADATA,
      metadata: { progressPercent: 10 },
    });
    const run = lro(['wait', op.name, ...flags, '--strategy', 'poll', '--interval', '100ms']);
    await stepThrough(op);
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.deepEqual(
      lines.map((l) => l.replace(/ {2}\d+\.\ds$/, '')),
      ['RUNNING  10%', 'RUNNING  40%', 'RUNNING  70%', 'DONE  100%'].map((s) => `operations/plain  ${s}`),
    );
    assert.match(r.stdout, /state:\s+DONE/);
    assert.match(r.stdout, /"uri":"export:\/\/plain"/);
    assert.doesNotMatch(r.stdout + r.stderr, CONTROL);
  });

  it('draws the progress bar under a pseudo-terminal, redrawn for each snapshot', async () => {
    const op = server.create({
      name: 'operations/tty',
      metadataType: METADATA,
      metadata: { progressPercent: 10 },
    });
    const run = lroTty(['wait', op.name, ...flags, '--strategy', 'poll', '--interval', '100ms']);
    await stepThrough(op);
    const r = await run;
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, CONTROL, 'the bar redraws with terminal control sequences');
    const percents = [...new Set([...r.stdout.matchAll(/ (\d+)% \| /g)].map((m) => m[1]))];
    assert.deepEqual(percents, ['10', '40', '70', '100']);
  });

  it('prints one stderr line per poll that failed after its retries, and still finishes', async () => {
    const op = server.create({ name: 'operations/flaky' });
    // Two polls fail: each makes 5 attempts (the default retry policy) before it counts.
    server.inject({ method: 'GetOperation', code: Code.UNAVAILABLE, times: 10, message: 'restarting' });
    const run = lro(['wait', op.name, ...flags, '--strategy', 'poll', '--interval', '100ms']);
    await until(() => server.calls.GetOperation >= 11, 'a poll after the failures');
    op.succeed(RESULT, { uri: 'export://flaky', rowCount: 1 });
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split('\n').filter((l) => l.includes('failed'));
    assert.equal(lines.length, 2, r.stderr);
    assert.match(
      lines[0] ?? '',
      /^lro: poll 1 failed: UNAVAILABLE: restarting \(GetOperation\); retrying in \d/,
    );
    assert.match(lines[1] ?? '', /^lro: poll 2 failed: /);
  });
});
