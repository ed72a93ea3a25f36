/**
 * Shared pieces of the reliability suite: bounded waiting on the wall clock, settling
 * promises into values, and counting the RPC attempts a client makes per operation.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';

export const insecure = grpc.credentials.createInsecure();
export const RESULT = 'longrunning.demo.v1.ExportResult';
export const META = 'longrunning.demo.v1.ExportMetadata';
export type ExportResult = { uri: string; rowCount: string };

/** Polling fast enough for a suite on the wall clock. */
export const FAST_POLLING = { initialDelayMs: 20, multiplier: 1.5, maxDelayMs: 250, jitter: 0.2 };

/** A retry policy with short delays (same codes as the default). */
export const FAST_RETRY = {
  codes: [grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED],
  maxAttempts: 5,
  initialDelayMs: 10,
  maxDelayMs: 100,
  multiplier: 2,
};

/** How a promise settled. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** Never rejects: the outcome of `promise` as a value. */
export function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  return promise.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

/** Real milliseconds since `start`. */
export function since(start: number): number {
  return performance.now() - start;
}

/** Sleeps on the wall clock. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once `check()` holds (checked every 5 ms); throws after `timeoutMs` naming `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (since(start) > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(5);
  }
}

/** Settles as `promise` does, or rejects naming `what` if it takes more than `ms` of real time (a hang). */
export function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

/** A client interceptor counting every RPC attempt the client makes, per operation name. */
export function attemptCounter(): { interceptor: grpc.Interceptor; byName: Map<string, number> } {
  const byName = new Map<string, number>();
  const interceptor: grpc.Interceptor = (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      sendMessage(message: unknown, next: (m: unknown) => void) {
        const name = typeof message === 'object' && message !== null && 'name' in message ? message.name : '';
        if (typeof name === 'string') byName.set(name, (byName.get(name) ?? 0) + 1);
        next(message);
      },
    });
  return { interceptor, byName };
}

/** Mean, median, 95th percentile and max of `values`, formatted. */
export function distribution(values: readonly number[]): {
  mean: string;
  p50: number;
  p95: number;
  max: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
  return { mean: mean.toFixed(2), p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0 };
}

/** Every RPC the fake server counted. */
export function totalCalls(calls: Record<string, number>): number {
  return Object.values(calls).reduce((a, b) => a + b, 0);
}

/** A fake server running in a child process (see server-process.ts). */
export interface ServerProcess {
  readonly address: string;
  /** Stops the server and waits for its process to exit. */
  stop(): Promise<void>;
}

/** Starts server-process.ts with `count` running operations named `<prefix>-<i>` and `<prefix>-shared`. */
export async function startServerProcess(count: number, prefix: string): Promise<ServerProcess> {
  const script = new URL('./server-process.ts', import.meta.url).pathname;
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(count), prefix], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout });
  const first = await bounded(
    new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
    }),
    20_000,
    'the server process to start',
  );
  lines.close();
  const { address } = JSON.parse(first) as { address: string };
  return {
    address,
    async stop() {
      child.stdin.end();
      await bounded(exited, 5000, 'the server process to exit').catch(() => child.kill());
    },
  };
}
