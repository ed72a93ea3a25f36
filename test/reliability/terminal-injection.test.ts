/**
 * Scenario 16 (issue 22, point 1): a hostile server's names, status messages, metadata and
 * type URLs carry what a terminal acts on (an erase-line, an OSC window title, a line feed
 * that forges a line, the one-byte CSI U+009B, a bidi override). Every output path of
 * `lro` (list, get, wait with one and several names, watch, the stderr path, --verbose,
 * --json; with and without a terminal) writes 0 raw control characters: C0 but the line
 * feed, DEL, C1, bidi controls and U+2028/U+2029, counted after removing the sequences the
 * table view writes itself on a terminal.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe } from 'node:test';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { Code } from '../../src/wire/code.ts';
import {
  HOSTILE_MESSAGE,
  HOSTILE_NAMES,
  HOSTILE_TYPE_URL,
  rawControls,
  rawControlsOnTerminal,
  seedHostile,
} from '../cli/hostile.ts';
import { Scenario } from './report.ts';

const report = new Scenario(16, 'Hostile names on terminals');
const repo = join(import.meta.dirname, '..', '..');
const CLI = join(repo, 'src', 'cli', 'main.ts');

/** One lro run: a label, its arguments, whether under a pseudo-terminal, and its expected exit code. */
type Run = readonly [label: string, args: readonly string[], tty: boolean, exit: number];

/** What a run wrote and how many raw control characters were in it. */
interface Counted {
  readonly code: number | null;
  readonly bytes: number;
  readonly controls: number;
  readonly text: string;
}

/** Runs the CLI from source (a 60 s hang guard), under `script` when `tty`; counts raw control characters. */
function run(args: readonly string[], tty: boolean): Promise<Counted> {
  const argv = [process.execPath, '--import', 'tsx', CLI, ...args];
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const [file, fileArgs] = tty
    ? ['script', ['-qec', quoted, '/dev/null']]
    : [process.execPath, argv.slice(1)];
  return new Promise((resolve) =>
    execFile(
      file,
      fileArgs,
      { cwd: repo, timeout: 60_000, env: { ...process.env, LRO_TARGET: '' }, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        const text = stdout + stderr;
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : null,
          bytes: Buffer.byteLength(text),
          controls: tty ? rawControlsOnTerminal(text) : rawControls(text),
          text,
        });
      },
    ),
  );
}

describe('hostile names on terminals', () => {
  report.test(
    'every output path of lro writes 0 raw control characters for hostile names, messages and type URLs',
    async () => {
      const server = await FakeOperationsServer.start();
      try {
        const names = seedHostile(server);
        const failed = 'operations/failed-\u001b]0;t\u0007\u202e';
        server.create({ name: failed }).fail({ code: Code.ABORTED, message: HOSTILE_MESSAGE });
        server.create({ name: 'operations/type-url-\u009b' }).setRaw({
          done: true,
          response: { type_url: HOSTILE_TYPE_URL, value: Buffer.from([8, 1]) },
        });
        const absent = 'operations/absent-\u001b[2K\n\u009b\u202e';
        const target = ['--target', server.address, '--insecure'];
        const wait = [...target, '--interval', '200ms', '--timeout', '1s'];
        const runs: Run[] = [
          ['list', ['list', 'operations', ...target, '--all'], false, 0],
          ['list --json', ['list', 'operations', ...target, '--all', '--json'], false, 0],
          ...names.map((n, i): Run => [`get (name ${i + 1})`, ['get', n, ...target], false, 0]),
          ['get: a failed operation', ['get', failed, ...target], false, 1],
          ['get: a hostile type URL', ['get', 'operations/type-url-\u009b', ...target], false, 2],
          ['get --json: a failed operation', ['get', failed, ...target, '--json'], false, 1],
          ['get: NOT_FOUND on stderr', ['get', absent, ...target], false, 3],
          ['get: NOT_FOUND --verbose', ['get', absent, ...target, '--verbose'], false, 3],
          ['wait (one name)', ['wait', failed, ...wait], false, 1],
          ['wait (one name), terminal', ['wait', names[0] ?? '', ...wait], true, 4],
          ['wait (several names)', ['wait', ...names, failed, ...wait], false, 4],
          ['wait (several names), terminal', ['wait', ...names, failed, ...wait], true, 4],
          ['wait (several names) --json', ['wait', ...names, failed, ...wait, '--json'], false, 4],
          ['watch', ['watch', 'operations', ...wait], false, 4],
          ['watch, terminal', ['watch', 'operations', ...wait], true, 4],
          ['watch --json', ['watch', 'operations', ...wait, '--json'], false, 4],
        ];
        // Four runs at a time: each is a Node process (1–2 s to start) and some wait out --timeout 1s.
        const results: Counted[] = [];
        for (let i = 0; i < runs.length; i += 4) {
          results.push(...(await Promise.all(runs.slice(i, i + 4).map(([, args, tty]) => run(args, tty)))));
        }
        const rows = runs.map(([label, , tty], i) => {
          const r = results[i];
          return [label, tty ? 'yes' : 'no', String(r?.code), String(r?.bytes), String(r?.controls)];
        });
        const written = results.reduce((n, r) => n + r.controls, 0);
        const bytes = results.reduce((n, r) => n + r.bytes, 0);
        report.input(
          `${HOSTILE_NAMES.length} operation names: ${HOSTILE_NAMES.map((n) => JSON.stringify(n)).join(', ')}; a status message ${JSON.stringify(HOSTILE_MESSAGE)}; a type URL ${JSON.stringify(HOSTILE_TYPE_URL)}; a metadata state with ESC[2K and U+009B; an unknown name with ESC[2K, LF, U+009B and U+202E`,
        );
        report.input(`${runs.length} lro runs: every output path, with and without a terminal (script(1))`);
        report.fault('The server (the fake server over gRPC on loopback) returns the hostile text as data');
        report.table(['lro run', 'terminal', 'exit', 'bytes written', 'raw control characters'], rows);
        report.outcome(
          `${bytes.toLocaleString('en')} bytes written by ${runs.length} runs; control characters written: ${written} (the table view's own cursor sequences on a terminal excluded)`,
        );
        for (const [i, [label, , , exit]] of runs.entries()) {
          const r = results[i];
          assert.equal(r?.code, exit, `${label}: exit code (${r?.text.slice(0, 400)})`);
          assert.equal(r?.controls, 0, `${label}: ${JSON.stringify(r?.text.slice(0, 400))}`);
        }
        assert.equal(written, 0, 'control characters written');
      } finally {
        await server.stop();
      }
    },
    { timeout: 150_000 },
  );
});
