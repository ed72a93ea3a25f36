/**
 * `lro serve`: runs the fake Operations server (and the demo Exporter) until SIGINT or
 * SIGTERM, optionally with demo export jobs already running. The first line printed is
 * `listening on HOST:PORT`, then `http on URL` with --http; each demo job's name follows
 * on a line of its own. gRPC reflection describes the built-in services and those and the
 * types of `--proto` files (whose services answer UNIMPLEMENTED).
 */

import { exportJob } from '../testing/demo-exporter.js';
import { FakeOperationsServer } from '../testing/fake-server.js';
import { type Io, processIo } from './commands.js';
import { registryFrom } from './connect.js';
import { parseDuration } from './duration.js';
import { EXIT, UsageError } from './exit.js';

export interface ServeFlags {
  port?: string;
  host?: string;
  demoJobs?: string;
  demoDuration?: string;
  http?: boolean;
  proto?: string[];
  include?: string[];
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
  const durationMs = parseDuration(flags.demoDuration ?? '30s', '--demo-duration');
  const protoFiles = flags.proto ?? [];
  const includeDirs = flags.include ?? [];
  const registry = registryFrom({ proto: protoFiles, include: includeDirs }); // UsageError for a bad --proto
  const server = await FakeOperationsServer.start({
    registry,
    protoFiles,
    includeDirs,
    host: flags.host ?? '127.0.0.1',
    port,
    http: flags.http === true,
  });
  io.out.write(`listening on ${server.address}\n`);
  if (flags.http === true) io.out.write(`http on ${server.httpUrl}\n`);
  for (let i = 1; i <= jobs; i++) {
    const request = { source: `demo-${i}`, rows: String(1000 * i), durationMs, fail: false };
    io.out.write(`${server.simulate(exportJob(request, server.registry)).name}\n`);
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  await server.stop();
  return signal === 'SIGINT' ? EXIT.INTERRUPTED : EXIT.OK;
}
