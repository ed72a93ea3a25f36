/**
 * The benchmarks' fake Operations server, run in its own process so that
 * `process.cpuUsage()` in a client process measures the client alone.
 *
 * Starts a FakeOperationsServer on loopback, a second one without WaitOperation on the same
 * operations, and a tiny HTTP control port beside them, then prints one JSON line on stdout:
 * `{ "grpc": "127.0.0.1:P", "grpcNoWait": "127.0.0.1:P2", "control": "http://127.0.0.1:Q" }`.
 * Control requests are `POST /<command>` with a JSON body and a JSON answer (see
 * `commands`; `fleet` answers only once every party of its group has asked). Completion
 * times are `process.hrtime.bigint()` (CLOCK_MONOTONIC, shared by every process on the
 * machine), sent as decimal strings of nanoseconds.
 *
 * Exits when stdin closes (its parent went away) or on `POST /stop`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { FakeOperationsServer } from '../src/testing.ts';
import { FleetGroups } from './fleet-start.ts';
import { METADATA, METADATA_TYPE, RESULT_TYPE, resultFor } from './shared.ts';

const server = await FakeOperationsServer.start();
/** The same operations on a server that answers WaitOperation with UNIMPLEMENTED, as most Google APIs do. */
const noWait = await FakeOperationsServer.start({ store: server.store, supportsWait: false });
const servers = [server, noWait];
const timers = new Set<NodeJS.Timeout>();

/** How a job's reported progress moves with the share of its duration gone (0..1); undefined: it reports none. */
const SHAPES: Record<string, (share: number) => number | undefined> = {
  linear: (x) => 100 * x,
  none: () => undefined,
  /** Rises four times as fast as it should up to 90 %, then stalls there until done. */
  stall: (x) => Math.min(90, 400 * x),
  /** 10 % until a fifth of the way, then 90 % until done. */
  jump: (x) => (x < 0.2 ? 10 : 90),
  /** Rises to 40 % by 30 % of the way, falls back to 0 and rises again to 100. */
  fallback: (x) => (x < 0.3 ? (400 * x) / 3 : (100 * (x - 0.3)) / 0.7),
};
const SHAPE_NAMES = [...Object.keys(SHAPES), 'adversarial'].join(', ');
/** 'adversarial': stall, jump and fallback in turn, by the operation's index. */
const ADVERSARIAL = ['stall', 'jump', 'fallback'];

/** The shape of the `index`th operation of a `progress` command with `name`, or undefined for an unknown name. */
function shapeOf(name: string, index: number): ((share: number) => number | undefined) | undefined {
  return SHAPES[name === 'adversarial' ? (ADVERSARIAL[index % ADVERSARIAL.length] ?? '') : name];
}
/** Running progress jobs: name → start (performance.now() ms), duration and shape. */
const jobs = new Map<
  string,
  {
    start: number;
    durationMs: number;
    shape: (share: number) => number | undefined;
    last: number | undefined;
  }
>();
/** Moves every job's progress (whole percents, as int32 fields are) every 10 ms while any runs. */
let ticker: NodeJS.Timeout | undefined;
function tick(): void {
  const now = performance.now();
  for (const [name, job] of jobs) {
    const value = job.shape(Math.min(1, (now - job.start) / job.durationMs));
    const percent = value === undefined ? undefined : Math.floor(value);
    if (percent === job.last || !server.store.has(name)) continue;
    job.last = percent;
    const metadata = { ...METADATA, progressPercent: percent ?? 0 };
    server.store.update(name, { metadata: server.registry.pack(METADATA_TYPE, metadata) });
  }
  if (jobs.size === 0 && ticker !== undefined) {
    clearInterval(ticker);
    ticker = undefined;
  }
}
/** name → when the server marked it done (hrtime ns). */
const completedAt = new Map<string, bigint>();

function complete(name: string): void {
  server.store.update(name, {
    done: true,
    error: null,
    response: server.registry.pack(RESULT_TYPE, resultFor(name)),
  });
  completedAt.set(name, process.hrtime.bigint());
}

function stringArray(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`${what} must be an array of strings`);
  }
  return value;
}

function numberArray(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`${what} must be an array of finite numbers`);
  }
  return value;
}

type Body = Record<string, unknown>;

/** The fleet scenario's synchronised starts (see `fleet`); completions land in `completedAt`. */
const fleets = new FleetGroups(noWait, servers, (name) => completedAt.set(name, process.hrtime.bigint()));

const commands: Record<string, (body: Body) => unknown> = {
  /**
   * `{ count, prefix, parent? }`: creates running operations with ExportMetadata, named
   * `<parent>/operations/<prefix>-<i>` (parent default `''`: `operations/<prefix>-<i>`);
   * answers `{ names }`.
   */
  create(body) {
    const count = Number(body.count);
    const prefix = String(body.prefix ?? 'bench');
    const parent = body.parent === undefined ? '' : `${String(body.parent)}/`;
    const names: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${parent}operations/${prefix}-${i}`;
      if (server.store.has(name)) server.store.delete(name);
      server.create({ name, metadataType: METADATA_TYPE, metadata: METADATA });
      names.push(name);
    }
    return { names };
  },
  /** `{ names, delaysMs }`: completes each operation (with its ExportResult) after its delay. */
  schedule(body) {
    const names = stringArray(body.names, 'names');
    const delays = numberArray(body.delaysMs, 'delaysMs');
    if (names.length !== delays.length) throw new RangeError('names and delaysMs differ in length');
    names.forEach((name, i) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        complete(name);
      }, delays[i]);
      timers.add(timer);
    });
    return { scheduled: names.length };
  },
  /**
   * `{ names, durationsMs, shape }`: runs each operation as a job that reports progress of
   * `shape` (see SHAPES; 'none' reports 0 throughout; 'adversarial' is stall, jump and
   * fallback in turn) and completes after its duration.
   */
  progress(body) {
    const names = stringArray(body.names, 'names');
    const durations = numberArray(body.durationsMs, 'durationsMs');
    if (shapeOf(String(body.shape), 0) === undefined)
      throw new RangeError(`shape must be one of ${SHAPE_NAMES}`);
    if (names.length !== durations.length) throw new RangeError('names and durationsMs differ in length');
    const start = performance.now();
    names.forEach((name, i) => {
      const durationMs = durations[i] ?? 0;
      const shape = shapeOf(String(body.shape), i) ?? SHAPES.none;
      if (shape === undefined) throw new Error('bench server: no shape none');
      jobs.set(name, { start, durationMs, shape, last: undefined });
      const timer = setTimeout(() => {
        timers.delete(timer);
        jobs.delete(name);
        complete(name);
      }, durationMs);
      timers.add(timer);
    });
    tick();
    ticker ??= setInterval(tick, 10);
    return { scheduled: names.length };
  },
  /** `{ names }`: completes them now. */
  complete(body) {
    for (const name of stringArray(body.names, 'names')) complete(name);
    return {};
  },
  /** `{ names }`: when each completed (hrtime ns as a string), or null. */
  completions(body) {
    return { at: stringArray(body.names, 'names').map((n) => completedAt.get(n)?.toString() ?? null) };
  },
  /** `{ names }`: forgets the operations (keeps the server's memory flat between scenarios). */
  drop(body) {
    for (const name of stringArray(body.names, 'names')) {
      server.store.delete(name);
      completedAt.delete(name);
    }
    return {};
  },
  /**
   * The fleet scenario's start, a barrier: `{ group, parties, party, ... }` (see
   * bench/fleet-start.ts) answers each party once all `parties` of `group` have asked:
   * then the quota is set, the counters reset and every party's operations started at once
   * as progress jobs. Answers `{ names, durationsMs }` of this party's operations.
   */
  fleet(body) {
    return fleets.arrive(body);
  },
  /**
   * Calls per RPC since the last reset, calls refused by the quota (in all and per RPC),
   * and the most WaitOperation calls open at once; summed over both servers.
   */
  stats() {
    const calls: Record<string, number> = {};
    const rejectedByMethod: Record<string, number> = {};
    for (const s of servers) {
      for (const [k, v] of Object.entries(s.calls)) calls[k] = (calls[k] ?? 0) + v;
      for (const [k, v] of Object.entries(s.rejectedByMethod)) {
        rejectedByMethod[k] = (rejectedByMethod[k] ?? 0) + v;
      }
    }
    const rejected = servers.reduce((sum, s) => sum + s.rejected, 0);
    return {
      calls,
      rejected,
      rejectedByMethod,
      peakOpenWaits: server.peakOpenWaits,
      openWaits: server.openWaits,
    };
  },
  reset() {
    for (const s of servers) s.resetCounters();
    return {};
  },
  stop() {
    setImmediate(() => void shutdown());
    return {};
  },
};

async function readBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const text = Buffer.concat(chunks).toString('utf8');
  const parsed: unknown = text === '' ? {} : JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TypeError('body must be a JSON object');
  }
  return { ...parsed };
}

function answer(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

const control = createServer((req, res) => {
  const command = commands[(req.url ?? '').replace(/^\//, '')];
  if (req.method !== 'POST' || command === undefined) {
    answer(res, 404, { error: `unknown command ${req.method} ${req.url}` });
    return;
  }
  readBody(req)
    .then((body) => command(body))
    .then(
      (value) => answer(res, 200, value ?? {}),
      (error: unknown) => answer(res, 400, { error: error instanceof Error ? error.message : String(error) }),
    );
});
// Idle keep-alive connections outlive the clients' own idle timeout (undici's follows this
// server's hint, less a second), so a client never sends on a connection this server is
// closing (under load a control call after a 3 s gap failed with "fetch failed", the
// likely cause).
control.keepAliveTimeout = 65_000;
await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
const bound = control.address();
if (bound === null || typeof bound === 'string') throw new Error('control port did not bind');

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const timer of timers) clearTimeout(timer);
  clearInterval(ticker);
  fleets.abandon();
  control.close();
  control.closeAllConnections();
  await noWait.stop();
  await server.stop();
  process.exit(0);
}

process.stdin.on('end', () => void shutdown());
process.stdin.on('close', () => void shutdown());
process.stdin.resume();
process.stdout.write(
  `${JSON.stringify({ grpc: server.address, grpcNoWait: noWait.address, control: `http://127.0.0.1:${bound.port}` })}\n`,
);
