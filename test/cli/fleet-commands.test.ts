/**
 * `lro wait a b c` and `lro watch PARENT` as a user runs them: the built CLI in a child
 * process against an in-process fake server running simulate() jobs, without a terminal,
 * under a pseudo-terminal and with --json. Only contents, orders and exit codes are
 * asserted (exact times are the FakeClock tests' of fleet-view.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { watchTargets } from '../../src/cli/fleet-commands.ts';
import type { SimulateOptions } from '../../src/testing/fake-operation.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { Code } from '../../src/wire/code.ts';
import { exited, lro, type Started, start, startTty } from './helpers.ts';
import { rawControls, rawControlsOnTerminal } from './hostile.ts';

const METADATA = 'longrunning.demo.v1.ExportMetadata';
const RESULT = 'longrunning.demo.v1.ExportResult';

/** A simulated export job of `durationMs`, named `name`, failing with ABORTED when `fail`. */
function job(name: string, durationMs: number, fail = false): SimulateOptions {
  return {
    name,
    durationMs,
    steps: 4,
    metadataType: METADATA,
    responseType: RESULT,
    response: { uri: `export://${name.slice(name.lastIndexOf('/') + 1)}`, rowCount: 1 },
    ...(fail ? { fail: { code: Code.ABORTED, message: 'export aborted' } } : {}),
  };
}

/** The JSON lines of an NDJSON output. */
function ndjson(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('watchTargets', () => {
  it('lists the default collection without arguments, a first argument that is not an operation name, else waits on names', () => {
    assert.deepEqual(watchTargets([]), { listing: true, parent: undefined, names: [] });
    assert.deepEqual(watchTargets(['operations']), { listing: true, parent: 'operations', names: [] });
    assert.deepEqual(watchTargets(['projects/p/locations/l', 'operations/x']), {
      listing: true,
      parent: 'projects/p/locations/l',
      names: ['operations/x'],
    });
    assert.deepEqual(watchTargets(['projects/p/locations/l/operations/1', 'operations/a/b']), {
      listing: false,
      parent: undefined,
      names: ['projects/p/locations/l/operations/1', 'operations/a/b'],
    });
    assert.equal(
      watchTargets(['projects/p/locations/l/operations']).listing,
      true,
      'a collection ending in operations',
    );
  });
});

describe('lro wait with several names, and lro watch', () => {
  let server: FakeOperationsServer;
  let flags: string[];
  let n = 0;
  /** A fresh operation name under `parent` (`operations/job-N` for the default collection). */
  const fresh = (parent = 'operations'): string =>
    parent === 'operations' ? `operations/job-${++n}` : `${parent}/operations/job-${++n}`;
  /** `text` as a regular expression matching it literally. */
  const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

  /**
   * Running operations at 10% that the test steps as the CLI shows them: to 60% once it
   * shows each at 10%, then to done (the one named `failing` fails with ABORTED) once it
   * shows each at 60%; so the CLI shows every state whatever its start-up time. Resolves
   * the CLI's exit code.
   */
  async function stepThrough(
    names: readonly string[],
    cli: Started,
    failing?: string,
  ): Promise<number | null> {
    const ops = names.map((name) =>
      server.create({ name, metadataType: METADATA, metadata: { progressPercent: 10 } }),
    );
    const shown = (name: string, percent: number) =>
      cli.until(new RegExp(`${literal(name)} +RUNNING +[█░]* *${percent}%`));
    for (const op of ops) await shown(op.name, 10);
    for (const op of ops) op.setMetadata({ progressPercent: 60 });
    for (const op of ops) await shown(op.name, 60);
    for (const op of ops) {
      if (op.name === failing) op.fail({ code: Code.ABORTED, message: 'export aborted' });
      else
        op.setMetadata({ progressPercent: 100 }).succeed(RESULT, { uri: `export://${op.name}`, rowCount: 1 });
    }
    return cli.closed;
  }

  before(async () => {
    server = await FakeOperationsServer.start();
    flags = ['--target', server.address, '--insecure', '--interval', '200ms'];
  });
  after(() => server.stop());

  it('wait a b c without a terminal: a line per change on stderr, the summary, then each final snapshot on stdout; exit 1 when one failed', async () => {
    const [a, b, c] = [fresh(), fresh(), fresh()];
    const cli = await start(['wait', a, b, c, ...flags], /^/, 'stderr');
    const code = await stepThrough([a, b, c], cli, b);
    const r = { code, stderr: cli.output(), stdout: cli.stdout() };
    assert.equal(r.code, 1, r.stderr);
    assert.equal(rawControls(r.stdout + r.stderr), 0);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.at(-1), '3 operations: 2 done, 1 failed');
    const of = (name: string) => lines.filter((l) => l.startsWith(`${name}  `));
    for (const name of [a, b, c]) {
      assert.match(of(name)[0] ?? '', /^operations\/job-\d+ {2}RUNNING {2}10% {2}elapsed 0s$/);
      assert.ok(
        of(name).some((l) => / RUNNING {2}60% {2}(eta \d+s {2})?elapsed \d+s$/.test(l)),
        r.stderr,
      );
    }
    assert.match(of(a).at(-1) ?? '', /^operations\/job-\d+ {2}DONE {2}100% {2}elapsed \d+s$/);
    assert.match(
      of(b).at(-1) ?? '',
      /^operations\/job-\d+ {2}FAILED {2}stopped at 60% {2}elapsed \d+s {2}ABORTED: export aborted$/,
    );
    const blocks = r.stdout.trimEnd().split('\n\n');
    assert.deepEqual(
      blocks.map((block) => block.split('\n').slice(0, 2)),
      [
        [`name:      ${a}`, 'state:     DONE'],
        [`name:      ${b}`, 'state:     FAILED'],
        [`name:      ${c}`, 'state:     DONE'],
      ],
    );
    assert.match(blocks[1] ?? '', /^error: {5}ABORTED: export aborted$/m);
  });

  it('wait a b c under a pseudo-terminal: a table redrawn in place, then the final snapshots', async () => {
    const [a, b, c] = [fresh(), fresh(), fresh()];
    const cli = await startTty(['wait', a, b, c, ...flags], /^/);
    const r = { code: await stepThrough([a, b, c], cli), stdout: cli.output() };
    assert.equal(r.code, 0, r.stdout);
    assert.equal(rawControlsOnTerminal(r.stdout), 0, 'only the sequences of the table itself');
    assert.ok(r.stdout.includes('\u001b[?25l'), 'the cursor is hidden while drawing');
    assert.ok(r.stdout.includes('\u001b[?25h'), 'and shown again');
    assert.ok(r.stdout.includes('\r\u001b[5A'), 'frames are redrawn over the last one (5 lines up)');
    assert.match(r.stdout, /NAME +STATE +PROGRESS +ETA +ELAPSED/);
    assert.match(r.stdout, /3 operations: 3 running/);
    assert.match(r.stdout, /3 operations: 3 done/);
    for (const name of [a, b, c]) {
      assert.match(r.stdout, new RegExp(`${name}  RUNNING    █░░░░░░░░░  10%`));
      assert.match(r.stdout, new RegExp(`${name}  DONE       ██████████ 100% +\\d+s\u001b\\[K`));
      assert.match(r.stdout, new RegExp(`name: {6}${name}\r?\nstate: {5}DONE`));
    }
  });

  it('wait a b c --json: one JSON line per change, the final one done, and a summary line with the exit code', async () => {
    const [a, b, c] = [fresh(), fresh(), fresh()];
    for (const name of [a, b, c]) server.simulate(job(name, 600));
    const r = await lro(['wait', a, b, c, ...flags, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const records = ndjson(r.stdout);
    assert.deepEqual(records.at(-1), {
      summary: { operations: 3, running: 0, done: 3, failed: 0, cancelled: 0, timedOut: 0, errors: 0 },
      exitCode: 0,
    });
    for (const name of [a, b, c]) {
      const final = records.filter((rec) => rec.name === name).at(-1) ?? {};
      assert.equal(final.state, 'DONE', r.stdout);
      assert.equal(final.done, true);
      assert.deepEqual(final.response, {
        '@type': `type.googleapis.com/${RESULT}`,
        uri: `export://${name.slice(name.lastIndexOf('/') + 1)}`,
        rowCount: '1',
      });
      assert.equal(typeof final.elapsedMs, 'number');
    }
  });

  it('exits with the most severe outcome: 3 for an RPC error over 4 for a timeout over 1, each said on stderr', async () => {
    const [ok, slow, failed] = [fresh(), fresh(), fresh()];
    server.simulate(job(ok, 100));
    server.create({ name: slow });
    server.simulate(job(failed, 100, true));
    const args = [ok, slow, failed, ...flags, '--timeout', '1s'];
    const [timedOut, missing, json] = await Promise.all([
      lro(['wait', ...args]),
      lro(['wait', ...args, 'operations/absent']),
      lro(['wait', ...args, 'operations/absent', '--json']),
    ]);
    assert.equal(timedOut.code, 4, timedOut.stderr);
    assert.match(timedOut.stderr, new RegExp(`^${slow}  TIMEOUT  elapsed \\ds$`, 'm'));
    assert.match(timedOut.stderr, new RegExp(`^lro: operation ${slow} not done after --timeout 1s \\(`, 'm'));
    assert.match(timedOut.stderr, /^3 operations: 1 done, 1 failed, 1 timed out$/m);
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /^lro: NOT_FOUND: operation "operations\/absent" not found/m);
    assert.equal(json.code, 3);
    const records = ndjson(json.stdout);
    const { elapsedMs, ...absent } = records.find((rec) => rec.name === 'operations/absent') ?? {};
    assert.equal(typeof elapsedMs, 'number');
    assert.deepEqual(absent, {
      name: 'operations/absent',
      state: 'ERROR',
      waitError: {
        type: 'RpcError',
        message: 'NOT_FOUND: operation "operations/absent" not found (WaitOperation)',
        code: 5,
        codeName: 'NOT_FOUND',
      },
      exitCode: 3,
    });
    assert.equal(records.at(-1)?.exitCode, 3);
  });

  it('watch PARENT without a terminal: done operations as done rows, running ones waited on, others not listed', async () => {
    const parent = 'projects/p/locations/watch-plain';
    const [done, cancelled, run1, run2] = [fresh(parent), fresh(parent), fresh(parent), fresh(parent)];
    server.create({ name: done }).succeed(RESULT, { uri: 'export://x', rowCount: 1 });
    server.create({ name: cancelled }).fail({ code: Code.CANCELLED, message: 'stopped' });
    server.create({ name: 'projects/p/locations/elsewhere/operations/other' });
    const cli = await start(['watch', parent, ...flags], /^/);
    const r = { code: await stepThrough([run1, run2], cli), stdout: cli.output(), stderr: cli.stderr() };
    assert.equal(r.code, 1, `a cancelled operation counts as failed: ${r.stderr}`);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 4), [
      `${done}  DONE  100%`,
      `${cancelled}  CANCELLED  CANCELLED: stopped`,
      `${run1}  RUNNING  10%  elapsed 0s`,
      `${run2}  RUNNING  10%  elapsed 0s`,
    ]);
    assert.equal(lines.at(-1), '4 operations: 3 done, 1 cancelled');
    for (const name of [run1, run2]) {
      assert.match(
        lines.filter((l) => l.startsWith(`${name}  `)).at(-1) ?? '',
        / {2}DONE {2}100% {2}elapsed \d+s$/,
      );
    }
    assert.ok(!r.stdout.includes('elsewhere'), 'only the parent is listed');
  });

  it('watch PARENT under a pseudo-terminal: the table, done rows without elapsed time, exit 0 once all are done', async () => {
    const parent = 'p/tty';
    const [done, later] = [fresh(parent), fresh(parent)];
    server.create({ name: done }).succeed(RESULT, { uri: 'export://x', rowCount: 1 });
    const cli = await startTty(['watch', parent, ...flags], /^/);
    const r = { code: await stepThrough([later], cli), stdout: cli.output() };
    assert.equal(r.code, 0, r.stdout);
    assert.equal(rawControlsOnTerminal(r.stdout), 0);
    assert.match(r.stdout, /NAME +STATE +PROGRESS +ETA +ELAPSED/);
    assert.match(
      r.stdout,
      new RegExp(`${done}  DONE       ██████████ 100% {17}\u001b\\[K`),
      'no elapsed time',
    );
    assert.match(r.stdout, new RegExp(`${later}  RUNNING    ██████░░░░  60%`));
    assert.match(r.stdout, new RegExp(`${later}  DONE       ██████████ 100% +\\d+s\u001b\\[K`));
    assert.ok(r.stdout.includes('2 operations: 2 done\u001b[K'), r.stdout);
  });

  it('watch PARENT --json, and --filter done=false lists only the running ones', async () => {
    const parent = 'projects/p/locations/watch-json';
    const [done, later] = [fresh(parent), fresh(parent)];
    server.create({ name: done }).succeed(RESULT, { uri: 'export://x', rowCount: 1 });
    server.simulate(job(later, 600));
    const r = await lro(['watch', parent, ...flags, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const records = ndjson(r.stdout);
    assert.equal(records[0]?.name, done);
    assert.equal(records[0]?.state, 'DONE');
    assert.equal(records[0]?.elapsedMs, undefined, 'never waited on');
    assert.equal(records.filter((rec) => rec.name === later).at(-1)?.state, 'DONE');
    assert.deepEqual(records.at(-1)?.summary, {
      operations: 2,
      running: 0,
      done: 2,
      failed: 0,
      cancelled: 0,
      timedOut: 0,
      errors: 0,
    });
    const filtered = await lro(['watch', parent, ...flags, '--filter', 'done=false']);
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.equal(filtered.stdout, '0 operations\n');
    assert.equal(filtered.stderr, `lro: no operations in "${parent}" matching "done=false"\n`);
  });

  it('watch PARENT --follow adds operations started later, until interrupted (exit 130)', async () => {
    const parent = 'projects/p/locations/watch-follow';
    const [first, later] = [fresh(parent), fresh(parent)];
    server.simulate(job(first, 300));
    const watching = await start(['watch', parent, ...flags, '--follow', '--list-interval', '1s'], /DONE/);
    server.simulate(job(later, 300));
    await watching.until(new RegExp(`${later}  DONE`));
    watching.child.kill('SIGINT');
    assert.equal(await exited(watching.child), 130);
    assert.match(watching.output(), new RegExp(`^${first}  DONE`, 'm'));
    assert.match(watching.output(), /^2 operations: 2 done\n$/m);
  });

  it('wait a b --cancel-on-interrupt: SIGINT cancels every running operation on the server and exits 130', async () => {
    const [a, b, done] = [fresh(), fresh(), fresh()];
    for (const name of [a, b])
      server.create({ name, metadataType: METADATA, metadata: { progressPercent: 10 } });
    server.create({ name: done }).succeed(RESULT, { uri: 'export://done', rowCount: 1 });
    const cli = await start(
      ['wait', a, b, done, ...flags, '--cancel-on-interrupt'],
      // Both running ones shown, and the done one known as done, before the interrupt.
      new RegExp(
        `^(?=[\\s\\S]*${literal(a)}  RUNNING)(?=[\\s\\S]*${literal(b)}  RUNNING)(?=[\\s\\S]*${literal(done)}  DONE)`,
      ),
      'stderr',
    );
    cli.child.kill('SIGINT');
    assert.equal(await cli.closed, 130);
    for (const name of [a, b]) {
      const op = server.store.get(name);
      assert.equal(op?.done, true, `${name} cancelled on the server`);
      assert.equal(op?.error?.code, Code.CANCELLED);
    }
    assert.match(cli.output(), /^lro: sent CancelOperation for 2 of 2 operations$/m);
    assert.match(cli.output(), /^lro: interrupted by SIGINT$/m);
    assert.match(cli.stdout(), new RegExp(`^name: {6}${literal(done)}$`, 'm'), 'the done one is printed');
  });

  it('watch refuses --filter and --follow without a parent, and a bad --list-interval, as usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [['operations/a', '--filter', 'done=true'], /^lro: --filter needs a collection to list/],
      [['operations/a', 'operations/b', '--follow'], /^lro: --follow needs a collection to list/],
      [
        ['operations', '--follow', '--list-interval', 'soon'],
        /^lro: --list-interval: invalid duration "soon"/,
      ],
    ];
    const results = await Promise.all(cases.map(([args]) => lro(['watch', ...args, ...flags])));
    for (const [i, [args, pattern]] of cases.entries()) {
      assert.equal(results[i]?.code, 2, `${args.join(' ')}: ${results[i]?.stderr}`);
      assert.match(results[i]?.stderr ?? '', pattern);
    }
  });
});
