/**
 * Signals (issue 13.13): `lro wait` stopped by SIGINT, SIGTERM or SIGHUP, with and without
 * --cancel-on-interrupt, plain and --json, against a fake server in this process. Each run
 * must exit 128 + the signal's number, say on stderr what stopped it, send CancelOperation
 * exactly when asked (the server records it), and never print the authorization header
 * it was given.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { Code } from '../../src/wire/code.ts';
import { bounded, META, until } from './helpers.ts';
import { Scenario } from './report.ts';

const report = new Scenario(13, 'Signals');
const repo = join(import.meta.dirname, '..', '..');
const CLI = join(repo, 'src', 'cli', 'main.ts');
const SIGNALS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;
const authorization = `Bearer lr-signal-secret-${randomBytes(12).toString('hex')}`;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts `lro wait`, sends `signal` once `polled()` says the server has seen its first
 * poll (its signal handlers are installed before it polls), and resolves how it ended.
 * The child is killed if it has not ended within 30 s.
 */
async function interrupted(args: string[], signal: NodeJS.Signals, polled: () => boolean): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true', LRO_TARGET: '' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const ended = new Promise<Run>((resolve) =>
    child.on('exit', (code, sig) => resolve({ code, signal: sig, stdout, stderr })),
  );
  try {
    await until(() => polled() || child.exitCode !== null, 'the first poll of lro wait', 30_000);
    child.kill(signal);
    return await bounded(ended, 30_000, `lro wait stopped by ${signal}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

describe('signals', () => {
  let server: FakeOperationsServer;
  before(async () => {
    server = await FakeOperationsServer.start();
  });
  after(() => server.stop());

  report.test(
    'lro wait exits 128+n on SIGINT, SIGTERM and SIGHUP, says so, and sends CancelOperation exactly with --cancel-on-interrupt',
    async () => {
      const rows: (string | number)[][] = [];
      let lost = 0;
      let exposed = 0;
      let n = 0;
      for (const [signal, number] of Object.entries(SIGNALS) as [NodeJS.Signals, number][]) {
        for (const cancel of [false, true]) {
          for (const json of cancel ? [false, true] : [false]) {
            const op = server.create({
              name: `operations/signal-${n++}`,
              metadataType: META,
              metadata: { progressPercent: 25 },
            });
            const args = [
              'wait',
              op.name,
              '--target',
              server.address,
              '--insecure',
              '--strategy',
              'poll',
              '--interval',
              '100ms',
              '-H',
              `authorization: ${authorization}`,
              ...(cancel ? ['--cancel-on-interrupt'] : []),
              ...(json ? ['--json'] : []),
            ];
            const polls = server.calls.GetOperation;
            const run = await interrupted(args, signal, () => server.calls.GetOperation > polls);
            const snapshot = server.store.get(op.name);
            const cancelled = snapshot?.done === true && snapshot.error?.code === Code.CANCELLED;
            const secrets = (run.stdout + run.stderr).split(authorization.slice('Bearer '.length)).length - 1;
            exposed += secrets;
            const ok =
              run.code === 128 + number &&
              run.stderr.includes(`lro: interrupted by ${signal}\n`) &&
              cancelled === cancel &&
              run.stderr.includes(`lro: sent CancelOperation for ${op.name}`) === cancel &&
              (!json || JSON.parse(run.stdout).exitCode === 128 + number) &&
              secrets === 0;
            if (!ok) lost++;
            rows.push([
              signal,
              cancel ? 'yes' : 'no',
              json ? 'yes' : 'no',
              String(run.code ?? `killed by ${run.signal}`),
              cancelled ? 'CANCELLED' : 'still running',
              secrets,
            ]);
            assert.equal(run.code, 128 + number, `${signal}: ${run.stderr}`);
            assert.match(run.stderr, new RegExp(`lro: interrupted by ${signal}\\n`));
            assert.equal(cancelled, cancel, `${signal} cancel=${cancel}: the server's record`);
            if (json) {
              assert.deepEqual(JSON.parse(run.stdout).error, {
                type: 'Interrupted',
                message: `interrupted by ${signal}`,
              });
            }
            assert.equal(secrets, 0);
          }
        }
      }
      report.input(
        `lro wait (gRPC, polling every 100 ms, with -H authorization) on a running operation; ${rows.length} runs: 3 signals × (plain; --cancel-on-interrupt; --cancel-on-interrupt --json)`,
      );
      report.fault(
        'The signal, sent once the server has seen the first poll (the handlers are installed before it)',
      );
      report.table(
        [
          'signal',
          '--cancel-on-interrupt',
          '--json',
          'exit',
          'operation on the server',
          'secret occurrences',
        ],
        rows,
      );
      report.outcome(
        `Every run exited 128 + the signal number (SIGINT 130, SIGTERM 143, SIGHUP 129) and printed "lro: interrupted by SIG…"; CancelOperation reached the server in exactly the runs that asked for it, and in no other`,
      );
      report.outcome(`Secrets exposed: ${exposed}`);
      report.lost(lost);
    },
    { timeout: 240_000 },
  );
});
