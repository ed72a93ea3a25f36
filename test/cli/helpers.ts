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
export function lro(args: string[], env: NodeJS.ProcessEnv = {}, hangGuardMs = 20_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd: repo, timeout: hangGuardMs, env: { ...process.env, LRO_TARGET: '', ...env } },
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
  /** What the process printed on its stdout, when `output` is stderr's (else the same as `output`). */
  stdout: () => string;
  /** What the process printed on its stderr, when `output` is stdout's (else the same as `output`). */
  stderr: () => string;
  /** Resolves the exit code (null when a signal ended it) once the process ended and its output was read. */
  closed: Promise<number | null>;
  /** Resolves once the output matches `pattern` (rejects after 10 s, naming what was printed). */
  until: (pattern: RegExp) => Promise<void>;
}

/** Starts the CLI without waiting for it; resolves once `stream` printed something matching `ready`. */
export function start(
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
  return follow(child, ready, stream);
}

/**
 * Starts the CLI under `script` (stdout and stderr a pseudo-terminal, both read as
 * `stdout`) without waiting for it; resolves once it printed something matching `ready`.
 */
export function startTty(args: string[], ready: RegExp): Promise<Started> {
  const command = [process.execPath, cli, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return follow(child, ready, 'stdout');
}

/** Collects what `child` prints on `stream`; resolves once it matches `ready`. */
async function follow(child: ChildProcess, ready: RegExp, stream: 'stdout' | 'stderr'): Promise<Started> {
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let out = '';
  let other = '';
  child[stream === 'stdout' ? 'stderr' : 'stdout']?.on('data', (chunk: Buffer) => {
    other += chunk.toString();
  });
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
  return {
    child,
    output: () => out,
    stdout: () => (stream === 'stdout' ? out : other),
    stderr: () => (stream === 'stderr' ? out : other),
    closed,
    until,
  };
}

/** Resolves the exit code of `child` (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}
