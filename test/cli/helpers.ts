/** Runs the built `lro` (dist/cli/main.js) as a child process, the way a user does, for the CLI tests. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';

export const repo = join(import.meta.dirname, '../..');
export const cli = join(repo, 'dist', 'cli', 'main.js');

/** Control characters other than newline and tab: what a terminal UI would print. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
export const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion (a 60 s hang guard), without LRO_TARGET from the environment. */
export function lro(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd: repo, timeout: 20_000, env: { ...process.env, LRO_TARGET: '', ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs `lro args` under `script`, so its stdout and stderr are a pseudo-terminal (a 60 s hang guard). */
export function lroTty(args: string[]): Promise<Result> {
  const command = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) =>
    execFile('script', ['-qec', command, '/dev/null'], { cwd: repo, timeout: 60_000 }, (e, stdout, stderr) =>
      resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, stdout, stderr }),
    ),
  );
}

/** A started CLI process and what `stream` printed so far. */
export interface Started {
  child: ChildProcess;
  output: () => string;
  /** Resolves once the output matches `pattern` (rejects after 10 s, naming what was printed). */
  until: (pattern: RegExp) => Promise<void>;
}

/** Starts the CLI without waiting for it; resolves once `stream` printed something matching `ready`. */
export async function start(
  args: string[],
  ready: RegExp,
  stream: 'stdout' | 'stderr' = 'stdout',
  env: NodeJS.ProcessEnv = {},
): Promise<Started> {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LRO_TARGET: '', ...env },
  });
  let out = '';
  const waiters = new Set<() => void>();
  child[stream]?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const check of waiters) check();
  });
  const until = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${pattern} not printed within 10 s: ${JSON.stringify(out)}`));
      }, 10_000);
      const check = (): void => {
        if (!pattern.test(out)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve();
      };
      waiters.add(check);
      check();
    });
  await until(ready);
  return { child, output: () => out, until };
}

/** Resolves the exit code of `child` (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}
