/**
 * Scenario 18 (issue 22, point 3): timeouts longer than any deadline can hold
 * (`Number.MAX_SAFE_INTEGER` meaning "forever", 1e15, 4e14 just past the 99,999,999 hours
 * of a grpc-timeout header) in every option that takes one, over gRPC and HTTP/JSON. Each
 * case runs in a child process under Node's default handling of unhandled rejections, so
 * a rejection nobody handles ends it (a crash) and a call that never settles is a hang.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe } from 'node:test';
import { Scenario } from './report.ts';

const report = new Scenario(18, 'Timeouts past what a deadline holds');
const repo = join(import.meta.dirname, '..', '..');
const CHILD = join(import.meta.dirname, 'huge-timeout-child.ts');
/** A case that has not settled after this long (real time) hangs. */
const HANG_MS = 20_000;
/** Children run at once. */
const PARALLEL = 6;

type Case = readonly [transport: 'grpc' | 'rest', option: string, value: number];
type Result = { outcome: string; rpcs: number; exit: number | string };

const OPTIONS = [
  'call.timeoutMs',
  'callDefaults.timeoutMs',
  'callDefaults.timeoutMs (wait, poll)',
  'wait.timeoutMs',
  'wait.timeoutMs (poll)',
  'polling.waitChunkMs',
  'wrap.timeoutMs',
] as const;
const VALUES = [Number.MAX_SAFE_INTEGER, 1e15, 4e14] as const;
const CASES: Case[] = (['grpc', 'rest'] as const).flatMap((transport) =>
  OPTIONS.filter((o) => transport === 'grpc' || o !== 'wrap.timeoutMs').flatMap((option) =>
    VALUES.map((value): Case => [transport, option, value]),
  ),
);

/** Runs one case in a child; its exit code is a number, or 'hang' when it was killed at HANG_MS. */
function runCase([transport, option, value]: Case): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CHILD, transport, option, String(value)],
      { cwd: repo, timeout: HANG_MS },
      (error, stdout) => {
        const exit =
          error === null
            ? 0
            : error.killed === true
              ? 'hang'
              : typeof error.code === 'number'
                ? error.code
                : -1;
        const line = stdout.trim().split('\n').at(-1) ?? '';
        try {
          const parsed = JSON.parse(line) as { outcome: string; rpcs: number };
          resolve({ ...parsed, exit });
        } catch {
          resolve({ outcome: 'no result printed', rpcs: Number.NaN, exit });
        }
      },
    );
  });
}

describe('timeouts past what a deadline holds', () => {
  report.test(
    `${CASES.length} cases (per-call, callDefaults, wait and wrap() timeouts, waitChunkMs; gRPC and HTTP/JSON) never crash or hang: each call and wait reaches the server and settles`,
    async () => {
      const results: Result[] = [];
      for (let i = 0; i < CASES.length; i += PARALLEL) {
        results.push(...(await Promise.all(CASES.slice(i, i + PARALLEL).map(runCase))));
      }
      // One row per transport and option, one entry per value in VALUES' order.
      const rows: string[][] = [];
      for (let i = 0; i < CASES.length; i += VALUES.length) {
        const [transport, option] = CASES[i] ?? ['grpc', '?'];
        const of = results.slice(i, i + VALUES.length);
        rows.push([
          transport === 'grpc' ? 'gRPC' : 'HTTP/JSON',
          option,
          of.map((r) => r.rpcs).join(', '),
          of.map((r) => r.outcome).join('; '),
          of.map((r) => r.exit).join(', '),
        ]);
      }
      const crashes = results.filter((r) => typeof r.exit === 'number' && r.exit !== 0).length;
      const hangs = results.filter((r) => r.exit === 'hang').length;
      const unsettled = results.filter((r) => r.outcome !== 'settled').length;
      report.input(
        `Timeouts of ${VALUES.join(', ')} ms (Number.MAX_SAFE_INTEGER; 1e15; 4e14, just past MAX_DEADLINE_MS = 99,999,999 h; in this order in each table cell) as ${OPTIONS.join(', ')}; over gRPC (OperationsClient) and HTTP/JSON with a :wait rule (OperationsRestClient)`,
      );
      report.fault(
        `None: a healthy fake server, which completes the operation once the first RPC arrived; each case in a child process with Node's default unhandled-rejection handling, killed after ${HANG_MS / 1000} s`,
      );
      report.table(['transport', 'option', 'RPCs', 'outcome', 'exit code'], rows);
      report.outcome(
        `${CASES.length} cases: crashes: ${crashes}; hangs: ${hangs}; calls or waits that did not settle with their result: ${unsettled}`,
      );
      report.lost(unsettled);
      assert.equal(crashes, 0, 'crashes');
      assert.equal(hangs, 0, 'hangs');
      assert.equal(unsettled, 0, 'not settled');
      for (const r of results) assert.ok(r.rpcs >= 1, 'every case reached the server');
    },
    { timeout: 180_000 },
  );
});
