/**
 * What `lro` prints and exits with for each outcome of an operation, against an in-process
 * fake server whose operations the tests set up directly (unknown types, done with
 * neither result, cancelled mid-way).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { lro } from './helpers.ts';

const METADATA = 'longrunning.demo.v1.ExportMetadata';
const RESULT = 'longrunning.demo.v1.ExportResult';

describe('lro outcomes', () => {
  let server: FakeOperationsServer;
  let flags: string[];

  before(async () => {
    server = await FakeOperationsServer.start();
    flags = ['--target', server.address, '--insecure'];
    server.create({ name: 'operations/unknown-type' }).setRaw({
      done: true,
      response: { type_url: 'type.googleapis.com/acme.v1.Secret', value: Buffer.from([8, 1]) },
    });
    server.create({ name: 'operations/neither' }).setRaw({ done: true });
    server
      .create({ name: 'operations/ok', metadataType: METADATA, metadata: { progressPercent: 100 } })
      .succeed(RESULT, { uri: 'export://ok', rowCount: 7 });
    server.create({ name: 'operations/failed' }).fail({
      code: 9,
      message: 'export failed',
      details: [server.registry.pack('google.rpc.ErrorInfo', { reason: 'EXPORT_FAILED', domain: 'demo' })],
    });
  });
  after(() => server.stop());

  /** Runs `lro args --json`, asserts the exit code and that stdout is exactly one JSON document. */
  async function json(args: string[], code: number): Promise<Record<string, unknown>> {
    const r = await lro([...args, '--json']);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  it('prints one JSON document on stdout for every outcome of cancel, delete and wait, exit codes unchanged', async () => {
    server.create({ name: 'operations/to-cancel' });
    server.create({ name: 'operations/to-delete' });
    server.create({ name: 'operations/slow' });
    assert.deepEqual(await json(['cancel', 'operations/to-cancel', ...flags], 0), {
      name: 'operations/to-cancel',
      cancelRequested: true,
    });
    assert.deepEqual(await json(['delete', 'operations/to-delete', ...flags], 0), {
      name: 'operations/to-delete',
      deleted: true,
    });
    for (const command of ['cancel', 'delete', 'get', 'wait']) {
      const missing = await json([command, 'operations/absent', ...flags], 3);
      assert.deepEqual(missing.error, {
        type: 'RpcError',
        message: `NOT_FOUND: operation "operations/absent" not found (${command === 'wait' ? 'WaitOperation' : `${command[0]?.toUpperCase()}${command.slice(1)}Operation`})`,
        code: 5,
        codeName: 'NOT_FOUND',
      });
      assert.equal(missing.exitCode, 3);
    }
    const timedOut = await json(['wait', 'operations/slow', ...flags, '--timeout', '200ms'], 4);
    assert.equal((timedOut.error as { type: string }).type, 'TimeoutError');
    assert.match((timedOut.error as { message: string }).message, /not done after --timeout 200ms/);
    assert.deepEqual(timedOut.operation, { name: 'operations/slow', done: false });
    const failed = await json(['wait', 'operations/failed', ...flags], 1);
    assert.equal((failed.error as { codeName: string }).codeName, 'FAILED_PRECONDITION');
    const usage = await json(['list', ...flags, '--page-size', 'many'], 2);
    assert.equal((usage.error as { type: string }).type, 'UsageError');
    const unknownOption = await json(['get', 'operations/ok', '--no-such-flag'], 2);
    assert.equal((unknownOption.error as { type: string }).type, 'UsageError');
  });

  it('never prints a -H header value that a gRPC server echoed into its error, on stderr or in --json', async () => {
    const token = 'lr-cli-echo-token-4e71b2';
    const key = 'AIza-lr-cli-echo-key-90ad';
    const headers = ['-H', `authorization: Bearer ${token}`, '-H', `x-goog-api-key: ${key}`];
    const echoHeaders = ['authorization', 'x-goog-api-key'];
    for (const [command, method] of [
      ['get', 'GetOperation'],
      ['wait', 'WaitOperation'],
    ] as const) {
      server.inject({ method, code: 7, message: 'denied', echoHeaders });
      const r = await lro([command, 'operations/ok', ...flags, ...headers, '--json', '--verbose']);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(server.lastHeaders[method]?.authorization, `Bearer ${token}`, 'the header was sent');
      const output = `${r.stdout}\n${r.stderr}`;
      assert.equal(output.includes(token), false, output);
      assert.equal(output.includes(key), false, output);
      assert.match(r.stderr, /denied \(authorization: \[REDACTED\], x-goog-api-key: \[REDACTED\]\)/);
      assert.match(JSON.parse(r.stdout).error.message, /\[REDACTED\]/);
    }
  });

  it('names every Any with @type in JSON, decoded or not, and the text view uses the same camelCase names', async () => {
    const ok = await json(['get', 'operations/ok', ...flags], 0);
    assert.deepEqual(ok.response, {
      '@type': `type.googleapis.com/${RESULT}`,
      uri: 'export://ok',
      rowCount: '7',
    });
    assert.equal((ok.metadata as Record<string, unknown>)['@type'], `type.googleapis.com/${METADATA}`);
    const failed = await json(['get', 'operations/failed', ...flags], 1);
    assert.deepEqual((failed.error as { details: unknown[] }).details, [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'EXPORT_FAILED',
        domain: 'demo',
        metadata: {},
      },
    ]);
    const unknown = await json(['get', 'operations/unknown-type', ...flags], 2);
    assert.equal(
      (unknown.response as Record<string, unknown>)['@type'],
      'type.googleapis.com/acme.v1.Secret',
    );
    const text = await lro(['get', 'operations/ok', ...flags]);
    assert.match(text.stdout, /"rowCount":"7"/);
    assert.doesNotMatch(text.stdout, /row_count/);
  });

  it('exits 2 with a --proto hint for an unknown response type, from get and wait alike', async () => {
    for (const command of ['get', 'wait']) {
      const r = await lro([command, 'operations/unknown-type', ...flags]);
      assert.equal(r.code, 2, `${command}: ${r.stderr}`);
      assert.match(r.stdout, /state:\s+DONE/, `${command} prints the snapshot`);
      assert.match(r.stderr, /unknown type: "type\.googleapis\.com\/acme\.v1\.Secret"/);
      assert.match(r.stderr, /hint: pass --proto with the \.proto file that defines acme\.v1\.Secret/);
    }
  });

  it('exits 1 with a message for an operation done with neither response nor error, from get and wait alike', async () => {
    for (const command of ['get', 'wait']) {
      const r = await lro([command, 'operations/neither', ...flags]);
      assert.equal(r.code, 1, `${command}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /(^|\n)lro: operation operations\/neither: done with neither a response nor an error\n$/,
      );
    }
  });

  it('says on stderr that list found nothing, leaving stdout empty', async () => {
    const r = await lro(['list', 'projects/empty', ...flags]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'no operations in "projects/empty"\n');
  });

  it('lists a cancelled operation with where its progress stopped and without its stale metadata state', async () => {
    const op = server.create({
      name: 'operations/cancelled-at-40',
      metadataType: METADATA,
      metadata: { progressPercent: 40, state: 'RUNNING' },
    });
    server.create({
      name: 'operations/running-at-30',
      metadataType: METADATA,
      metadata: { progressPercent: 30, state: 'EXPORTING' },
    });
    assert.equal((await lro(['cancel', op.name, ...flags])).code, 0);
    const lines = (await lro(['list', ...flags, '--all'])).stdout.split('\n');
    assert.ok(lines.includes('operations/cancelled-at-40  CANCELLED  stopped at 40%'), lines.join('\n'));
    assert.ok(
      lines.includes('operations/running-at-30  RUNNING  30%  (metadata state: EXPORTING)'),
      lines.join('\n'),
    );
  });
});
