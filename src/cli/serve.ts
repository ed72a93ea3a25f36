/**
 * `lro serve`: runs the fake Operations server (and the demo Exporter) until SIGINT,
 * SIGTERM or SIGHUP, optionally with demo export jobs already running. The first line
 * printed is `listening on HOST:PORT`, then `http on URL` with --http (or --http-port);
 * each demo job's name follows on a line of its own. The fake server answers anyone
 * without authentication, so it binds only loopback addresses unless --public is given.
 * A port that cannot be bound (in use, not permitted) is a usage error naming the flag.
 * gRPC reflection describes the built-in services and the services and types of `--proto`
 * files (whose services answer UNIMPLEMENTED). With --quota N, operation reads (Get, List
 * and Wait together) past N a second are refused with RESOURCE_EXHAUSTED and RetryInfo, as
 * Google's APIs answer, so batch code can be tried against a quota.
 */

import { isIPv4 } from 'node:net';
import { exportJob } from '../testing/demo-exporter.js';
import { FakeOperationsServer } from '../testing/fake-server.js';
import { parseDuration } from './duration.js';
import { EXIT, UsageError } from './exit.js';
import { type Io, processIo } from './io.js';
import { onStopSignal, type StopSignal, signalExitCode } from './signals.js';

export interface ServeFlags {
  port?: string;
  host?: string;
  demoJobs?: string;
  demoDuration?: string;
  http?: boolean;
  /** Port of the HTTP/JSON gateway; implies --http. */
  httpPort?: string;
  /** Allows a --host that is not a loopback address. */
  public?: boolean;
  /** .proto files whose services and types reflection describes (and the registry knows). */
  proto?: string[];
  /** Import paths for --proto files. */
  include?: string[];
  /** Operation reads (Get, List, Wait) admitted per second; past it, RESOURCE_EXHAUSTED. */
  quota?: string;
}

/** Parses --quota: a positive number of reads per second (decimals allowed, e.g. 0.5). */
function parseQuota(value: string | undefined): { perSecond: number } | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || !Number.isFinite(n)) {
    throw new UsageError(`--quota: expected a number of reads per second > 0 (got ${JSON.stringify(value)})`);
  }
  return { perSecond: n };
}

/** Whether `host` names this machine's loopback interface only (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  return isIPv4(bare) && bare.startsWith('127.');
}

/** One line for a bind failure, naming the flag whose value to change. */
function bindFailure(error: unknown, flag: string, host: string, port: number): UsageError {
  const text = error instanceof Error ? error.message : String(error);
  const code =
    /\b(EADDRINUSE|EACCES|EADDRNOTAVAIL)\b/.exec(text)?.[1] ??
    (error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : '');
  const why =
    code === 'EADDRINUSE'
      ? 'is already in use (pick another port, or 0 for a free one)'
      : code === 'EACCES'
        ? 'needs privileges to bind (pick a port above 1023)'
        : code === 'EADDRNOTAVAIL'
          ? 'is not an address of this machine'
          : `cannot be bound (${text.split('\n')[0]})`;
  return new UsageError(`${flag} ${port}: ${host}:${port} ${why}`);
}

function whole(value: string | undefined, flag: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new UsageError(`${flag}: expected a whole number from 0 to ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

export async function serveCommand(flags: ServeFlags, io: Io = processIo): Promise<number> {
  const port = whole(flags.port, '--port', 0, 65_535);
  const jobs = whole(flags.demoJobs, '--demo-jobs', 0, 10_000);
  const httpPort = whole(flags.httpPort, '--http-port', 0, 65_535);
  const http = flags.http === true || flags.httpPort !== undefined;
  const durationMs = parseDuration(flags.demoDuration ?? '30s', '--demo-duration');
  const quota = parseQuota(flags.quota);
  const host = flags.host ?? '127.0.0.1';
  if (!isLoopback(host) && flags.public !== true) {
    throw new UsageError(
      `--host ${host}: not a loopback address; the fake server answers anyone without authentication, ` +
        'so pass --public as well to serve on it anyway',
    );
  }
  const protoFiles = flags.proto ?? [];
  const includeDirs = flags.include ?? [];
  let server: FakeOperationsServer;
  try {
    server = await FakeOperationsServer.start({
      host,
      port,
      http,
      httpPort,
      protoFiles, // the server's registry gets their types
      includeDirs,
      ...(quota === undefined ? {} : { quota }),
    });
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('protoFiles: ')) {
      throw new UsageError(`--proto: ${error.message.slice('protoFiles: '.length)}`);
    }
    // grpc-js reports its bind failure as a plain Error; the HTTP gateway's is Node's listen error.
    const fromHttp = error instanceof Error && 'syscall' in error && error.syscall === 'listen';
    throw fromHttp
      ? bindFailure(error, '--http-port', host, httpPort)
      : bindFailure(error, '--port', host, port);
  }
  io.out.write(`listening on ${server.address}\n`);
  if (http) io.out.write(`http on ${server.httpUrl}\n`);
  for (let i = 1; i <= jobs; i++) {
    const request = { source: `demo-${i}`, rows: String(1000 * i), durationMs, fail: false };
    io.out.write(`${server.simulate(exportJob(request, server.registry)).name}\n`);
  }
  const signal = await new Promise<StopSignal>((resolve) => onStopSignal(resolve));
  await server.stop();
  // SIGTERM is the ordinary way to stop a server: exit 0. SIGINT and SIGHUP exit 128 + n.
  return signal === 'SIGTERM' ? EXIT.OK : signalExitCode(signal);
}
