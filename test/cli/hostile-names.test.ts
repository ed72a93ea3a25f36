/**
 * Terminal injection (issue 22, point 1): for each output path of `lro`, a hostile server's
 * names, messages, metadata and type URLs are written with 0 raw control characters, and
 * a name with a line feed forges no line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { Code } from '../../src/wire/code.ts';
import { lro, lroTty } from './helpers.ts';
import {
  HOSTILE_MESSAGE,
  HOSTILE_TYPE_URL,
  rawControls,
  rawControlsOnTerminal,
  seedHostile,
} from './hostile.ts';

const RESULT = 'longrunning.demo.v1.ExportResult';

describe('lro with hostile server text', () => {
  let server: FakeOperationsServer;
  let flags: string[];
  let names: string[];

  before(async () => {
    server = await FakeOperationsServer.start();
    flags = ['--target', server.address, '--insecure'];
    names = seedHostile(server);
    server.create({ name: `operations/failed-\u001b[2K` }).fail({
      code: Code.FAILED_PRECONDITION,
      message: HOSTILE_MESSAGE,
      details: [server.registry.pack('google.rpc.ErrorInfo', { reason: 'R\u001b[2K\u202e', domain: 'd' })],
    });
    server.create({ name: 'operations/type-url' }).setRaw({
      done: true,
      response: { type_url: HOSTILE_TYPE_URL, value: Buffer.from([8, 1]) },
    });
  });
  after(() => server.stop());

  it('list: one line per operation, 0 raw control characters', async () => {
    const r = await lro(['list', 'operations', ...flags, '--all']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rawControls(r.stdout + r.stderr), 0, JSON.stringify(r.stdout));
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines.length, names.length + 2, 'a line feed in a name forges no line');
    assert.ok(
      lines.includes(
        'operations/erase-\\x1b[2K-line  RUNNING  40%  (metadata state: EXPORTING\\x1b[2K\\x9bline)',
      ),
    );
    assert.ok(lines.some((l) => l.startsWith('operations/lf\\noperations/forged  DONE  100%  RUNNING  40%')));
    assert.ok(!lines.some((l) => l.startsWith('operations/forged')), 'no forged line');
  });

  it('get: names, metadata state, error message, detail and type URL escaped', async () => {
    for (const name of [...names, 'operations/failed-\u001b[2K', 'operations/type-url']) {
      const r = await lro(['get', name, ...flags]);
      assert.ok([0, 1, 2].includes(r.code ?? -1), `${JSON.stringify(name)}: ${r.stderr}`);
      assert.equal(rawControls(r.stdout + r.stderr), 0, JSON.stringify(r.stdout + r.stderr));
      assert.equal(r.stdout.split('\n')[0]?.startsWith('name:'), true);
    }
    const failed = await lro(['get', 'operations/failed-\u001b[2K', ...flags]);
    assert.match(
      failed.stdout,
      /^error: {5}FAILED_PRECONDITION: boom\\x1b\[1A\\x1b\[2K\\x9b1A\\u202e\\noperations\/forged/m,
    );
    assert.match(failed.stdout, /"reason":"R\\u001b\[2K\\u202e"/);
    const typed = await lro(['get', 'operations/type-url', ...flags]);
    assert.match(typed.stdout, /\(type\.googleapis\.com\/acme\.v1\.\\x1b\]0;owned\\x07Thing\)/);
    assert.match(typed.stderr, /defines acme\.v1\.\\x1b\]0;owned\\x07Thing/, 'the --proto hint too');
  });

  it('wait: progress lines and the final snapshot escaped', async () => {
    const name = `operations/wait-\u001b]0;t\u0007\n\u009b\u202e`;
    const op = server.create({ name });
    const run = lro(['wait', name, ...flags, '--strategy', 'poll', '--interval', '100ms']);
    op.fail({ code: Code.ABORTED, message: HOSTILE_MESSAGE });
    const r = await run;
    assert.equal(r.code, 1, r.stderr);
    assert.equal(rawControls(r.stdout + r.stderr), 0, JSON.stringify(r.stdout + r.stderr));
    assert.match(r.stdout, /^name: {6}operations\/wait-\\x1b\]0;t\\x07\\n\\x9b\\u202e$/m);
  });

  it('the error path on stderr: an RPC error naming a hostile name, a retried poll, a --verbose stack', async () => {
    const absent = `operations/absent-\u001b[2K\n\u009b\u202e`;
    for (const extra of [[], ['--verbose']]) {
      const r = await lro(['get', absent, ...flags, ...extra]);
      assert.equal(r.code, 3);
      assert.equal(rawControls(r.stdout + r.stderr), 0, JSON.stringify(r.stderr));
      assert.match(
        r.stderr,
        /^lro: NOT_FOUND: operation "operations\/absent-\\u001b\[2K\\n\\x9b\\u202e" not found/,
      );
      if (extra.length === 0) assert.equal(r.stderr.split('\n').length, 2, 'one line');
    }
    const usage = await lro([`frob\u001b[2K\u009b`, ...flags]);
    assert.equal(usage.code, 2);
    assert.equal(rawControls(usage.stderr), 0, 'a usage error quoting the argument');
    assert.match(usage.stderr, /^error: unknown command 'frob\\x1b\[2K\\x9b'/);
    const op = server.create({ name: 'operations/retried' });
    server.inject({ method: 'GetOperation', code: Code.UNAVAILABLE, times: 5, message: HOSTILE_MESSAGE });
    const run = lro(['wait', op.name, ...flags, '--strategy', 'poll', '--interval', '100ms']);
    for (let i = 0; i < 2000 && server.calls.GetOperation < 6; i++)
      await new Promise((r) => setTimeout(r, 5));
    op.succeed(RESULT, { uri: 'export://retried', rowCount: 1 });
    const r = await run;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rawControls(r.stdout + r.stderr), 0, JSON.stringify(r.stderr));
    assert.match(
      r.stderr,
      /^lro: poll 1 failed: UNAVAILABLE: boom\\x1b\[1A\\x1b\[2K\\x9b1A\\u202e\\noperations\/forged/m,
    );
  });

  it('--json: C1 and bidi controls as \\u escapes, and the documents parse to the server values', async () => {
    const listed = await lro(['list', 'operations', ...flags, '--all', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(rawControls(listed.stdout), 0, listed.stdout);
    const json = JSON.parse(listed.stdout) as { operations: { name: string }[] };
    assert.deepEqual(
      json.operations.map((o) => o.name).filter((n) => names.includes(n)),
      names,
    );
    const got = await lro(['get', 'operations/failed-\u001b[2K', ...flags, '--json']);
    assert.equal(rawControls(got.stdout), 0, got.stdout);
    assert.equal(JSON.parse(got.stdout).error.message, HOSTILE_MESSAGE);
    const absent = await lro(['get', 'operations/\u009b\u202e', ...flags, '--json']);
    assert.equal(absent.code, 3);
    assert.equal(rawControls(absent.stdout + absent.stderr), 0, absent.stdout);
    assert.match(JSON.parse(absent.stdout).error.message, /operations\/\u009b\u202e/);
  });
});

describe('lro wait with several names and lro watch, with hostile server text', () => {
  let server: FakeOperationsServer;
  let flags: string[];
  let names: string[];

  before(async () => {
    server = await FakeOperationsServer.start();
    flags = ['--target', server.address, '--insecure', '--interval', '200ms', '--timeout', '1s'];
    names = seedHostile(server);
    server.create({ name: 'operations/failed-\u001b]0;t\u0007' }).fail({
      code: Code.ABORTED,
      message: HOSTILE_MESSAGE,
    });
  });
  after(() => server.stop());

  /** Asserts that every line of `text` is a row of one of the operations (none forged), or the summary. */
  function noForgedLine(text: string): void {
    for (const line of text.trimEnd().split('\n')) {
      const own = /^operations\/(erase-|title-|lf\\n|csi-|bidi-|failed-)|^\d+ operations: /;
      assert.ok(own.test(line), JSON.stringify(line));
    }
  }

  it('watch: the rows, the timeout lines on stderr and the summary, 0 raw control characters', async () => {
    const r = await lro(['watch', 'operations', ...flags]);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(rawControls(r.stdout + r.stderr), 0, JSON.stringify(r.stdout + r.stderr));
    noForgedLine(r.stdout);
    assert.ok(
      r.stdout.includes(
        'operations/lf\\noperations/forged  DONE  100%  RUNNING  40%  elapsed 0s  (EXPORTING\\x1b[2K\\x9b100%)',
      ),
    );
    assert.ok(r.stdout.includes('operations/failed-\\x1b]0;t\\x07  FAILED  ABORTED: boom\\x1b[1A'));
    assert.match(r.stderr, /^lro: operation operations\/bidi-\\u202egnp\.exe not done after --timeout 1s /m);
  });

  it("watch and wait under a pseudo-terminal: only the table's own sequences", async () => {
    const watched = await lroTty(['watch', 'operations', ...flags]);
    assert.equal(watched.code, 4, watched.stdout);
    assert.equal(rawControlsOnTerminal(watched.stdout), 0, JSON.stringify(watched.stdout));
    assert.match(watched.stdout, /operations\/title-\\x1b\]0;pwned\\x07-osc/);
    const waited = await lroTty(['wait', ...names, ...flags]);
    assert.equal(waited.code, 4, waited.stdout);
    assert.equal(rawControlsOnTerminal(waited.stdout), 0, JSON.stringify(waited.stdout));
    assert.match(waited.stdout, /operations\/csi-\\x9b2J-clear/);
  });

  it('wait with several names without a terminal: rows, summary, timeout lines and final snapshots escaped', async () => {
    const r = await lro(['wait', ...names, 'operations/failed-\u001b]0;t\u0007', ...flags]);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(rawControls(r.stdout + r.stderr), 0, JSON.stringify(r.stdout + r.stderr));
    noForgedLine(r.stderr.split('\nlro: ')[0] ?? '');
    assert.match(r.stdout, /^name: {6}operations\/failed-\\x1b\]0;t\\x07$/m);
  });

  it('a retried poll of wait with several names is noted on stderr, escaped', async () => {
    // Two operations whose first polls each fail their 5 attempts (the RPC retry policy).
    for (const method of ['WaitOperation', 'GetOperation'] as const) {
      server.inject({ method, code: Code.UNAVAILABLE, times: 10, message: HOSTILE_MESSAGE });
    }
    const r = await lro(['wait', ...names.slice(0, 2), ...flags, '--timeout', '3s']);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(rawControls(r.stdout + r.stderr), 0, JSON.stringify(r.stdout + r.stderr));
    assert.match(
      r.stderr,
      /poll 1 failed: UNAVAILABLE: boom\\x1b\[1A\\x1b\[2K\\x9b1A\\u202e\\noperations\/forged/,
    );
  });

  it('--json of wait and watch: C1 and bidi controls as \\u escapes; every line parses to the server names', async () => {
    for (const args of [
      ['watch', 'operations'],
      ['wait', ...names],
    ]) {
      const r = await lro([...args, ...flags, '--json']);
      assert.equal(r.code, 4, r.stderr);
      assert.equal(rawControls(r.stdout + r.stderr), 0, r.stdout);
      const records = r.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { name?: string });
      for (const name of names)
        assert.ok(
          records.some((rec) => rec.name === name),
          `${JSON.stringify(name)}`,
        );
    }
  });
});
