/**
 * What the benchmark processes share: the operation payloads, the server control client,
 * statistics, CPU and memory readings, and the worker protocol (arguments as one JSON
 * argv, the result as the last JSON line on stdout).
 */
import { createRequire } from 'node:module';
import { descriptor } from '../src/generated/descriptor.ts';
import { seededRandom } from '../src/testing/seeded-random.ts';
import type { FleetStart, FleetStarted } from './fleet-start.ts';

export { seededRandom };

/** The metadata every benchmark operation carries while running. */
export const METADATA_TYPE = 'longrunning.demo.v1.ExportMetadata';
export const METADATA = { progressPercent: 42, rowsProcessed: '123456', state: 'RUNNING' } as const;
/** The response every benchmark operation ends with (see `resultFor`). */
export const RESULT_TYPE = 'longrunning.demo.v1.ExportResult';
export const TYPES = { metadataType: METADATA_TYPE, responseType: RESULT_TYPE } as const;

/** The decoded shapes (proto-loader conventions: int64 as string). */
export interface ExportMetadata {
  progressPercent: number;
  rowsProcessed: string;
  state: string;
}
export interface ExportResult {
  uri: string;
  rowCount: string;
}

/** The response of operation `name`: unique per operation, so a mixed-up result is caught. */
export function resultFor(name: string): { uri: string; rowCount: string } {
  return { uri: `export://${name}`, rowCount: String(name.length) };
}

/**
 * grpc-js and proto-loader as the library itself loads them: the repository root's
 * copies. A bare `import '@grpc/grpc-js'` from bench/ would find google-gax's copy under
 * bench/node_modules, whose credentials the library's copy rejects.
 */
const fromRoot = createRequire(new URL('../package.json', import.meta.url));
export const grpc: typeof import('@grpc/grpc-js') = fromRoot('@grpc/grpc-js');
export const protoLoader: typeof import('@grpc/proto-loader') = fromRoot('@grpc/proto-loader');

/** Fails the benchmark loudly: what was timed did not do what it should. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`bench correctness check failed: ${message}`);
}

/** Client CPU (user + system, every thread of this process) in µs since `since`. */
export function cpuMicros(since?: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return u.user + u.system;
}

/** CLOCK_MONOTONIC in ns: comparable between processes of one machine. */
export const monoNs = (): bigint => process.hrtime.bigint();

/** The median (nearest rank) of `xs`; NaN when empty. */
export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/** Nearest-rank percentile (p in 0..100) of `xs`; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Where a worker finds the server. */
export interface ServerAddress {
  /** gRPC `host:port`. */
  grpc: string;
  /** gRPC `host:port` of the server without WaitOperation (same operations). */
  grpcNoWait: string;
  /** HTTP control base URL. */
  control: string;
}

/** RPC counts, quota refusals and the WaitOperation peak, as the server reports them. */
export interface ServerStats {
  calls: Record<string, number>;
  /** Calls refused by the quota (RESOURCE_EXHAUSTED), also counted in `calls`. */
  rejected: number;
  rejectedByMethod: Record<string, number>;
  peakOpenWaits: number;
  openWaits: number;
}

/** The HTTP control port of bench/server.ts. Every method rejects on a non-200 answer. */
export class Control {
  readonly #base: string;

  constructor(base: string) {
    this.#base = base;
  }

  async #post(command: string, body: object = {}): Promise<Record<string, unknown>> {
    const res = await fetch(`${this.#base}/${command}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const value: unknown = await res.json();
    if (typeof value !== 'object' || value === null) throw new Error(`control ${command}: bad answer`);
    const record: Record<string, unknown> = { ...value };
    if (res.status !== 200) throw new Error(`control ${command}: ${String(record.error)}`);
    return record;
  }

  /**
   * Creates `count` running operations named `operations/<prefix>-<i>`, or
   * `<parent>/operations/<prefix>-<i>` with a `parent`.
   */
  async create(count: number, prefix: string, parent?: string): Promise<string[]> {
    const { names } = await this.#post(
      'create',
      parent === undefined ? { count, prefix } : { count, prefix, parent },
    );
    return asStrings(names, 'names');
  }

  /**
   * Asks to start a fleet (see bench/fleet-start.ts); resolves, once every party of the
   * group has asked, with this party's operations and their durations.
   */
  async fleet(start: FleetStart): Promise<FleetStarted> {
    const { names, durationsMs } = await this.#post('fleet', start);
    if (!Array.isArray(durationsMs) || !durationsMs.every((d) => typeof d === 'number')) {
      throw new Error('control fleet: durationsMs is not a number array');
    }
    return { names: asStrings(names, 'names'), durationsMs };
  }

  /** Runs `names[i]` as a job of `durationsMs[i]` reporting progress of `shape` (see bench/server.ts). */
  async progress(names: readonly string[], durationsMs: readonly number[], shape: string): Promise<void> {
    await this.#post('progress', { names, durationsMs, shape });
  }

  /** Completes `names[i]` after `delaysMs[i]`, on the server's timers. */
  async schedule(names: readonly string[], delaysMs: readonly number[]): Promise<void> {
    await this.#post('schedule', { names, delaysMs });
  }

  async complete(names: readonly string[]): Promise<void> {
    await this.#post('complete', { names });
  }

  /** When each operation completed on the server (CLOCK_MONOTONIC ns); throws if one did not. */
  async completions(names: readonly string[]): Promise<bigint[]> {
    const { at } = await this.#post('completions', { names });
    if (!Array.isArray(at)) throw new Error('control completions: bad answer');
    return at.map((v, i) => {
      if (typeof v !== 'string') throw new Error(`bench: ${names[i]} was never completed by the server`);
      return BigInt(v);
    });
  }

  async drop(names: readonly string[]): Promise<void> {
    await this.#post('drop', { names });
  }

  async stats(): Promise<ServerStats> {
    const { calls, rejected, rejectedByMethod, peakOpenWaits, openWaits } = await this.#post('stats');
    return {
      calls: numbers(calls, 'calls'),
      rejected: Number(rejected),
      rejectedByMethod: numbers(rejectedByMethod, 'rejectedByMethod'),
      peakOpenWaits: Number(peakOpenWaits),
      openWaits: Number(openWaits),
    };
  }

  async reset(): Promise<void> {
    await this.#post('reset');
  }

  async stop(): Promise<void> {
    await this.#post('stop');
  }
}

function numbers(value: unknown, what: string): Record<string, number> {
  if (typeof value !== 'object' || value === null) throw new Error(`control stats: ${what} is not an object`);
  const counts: Record<string, number> = {};
  for (const [k, v] of Object.entries(value)) counts[k] = Number(v);
  return counts;
}

function asStrings(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`control: ${what} is not a string array`);
  }
  return value;
}

/** The calls a wait makes in `stats`: GetOperation, WaitOperation and the pages of list reaping's ListOperations. */
export function pollRpcs(stats: ServerStats): number {
  return (
    (stats.calls.GetOperation ?? 0) + (stats.calls.WaitOperation ?? 0) + (stats.calls.ListOperations ?? 0)
  );
}

/** Reads a worker's arguments: one JSON object in argv[2]. */
export function workerArgs(): Record<string, unknown> {
  const raw = process.argv[2];
  if (raw === undefined) throw new Error('worker: expected one JSON argument');
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('worker: argument must be an object');
  return { ...parsed };
}

/** Ends a worker: prints its result as the last stdout line. Failures reject and exit 1 loudly. */
export function runWorker(main: () => Promise<unknown>): void {
  let settled = false;
  // The event loop emptying before `main` settled means a promise that nothing (no timer, no
  // socket) will ever settle: say so and exit 3, instead of a silent exit 0 with no result.
  process.once('beforeExit', () => {
    if (settled) return;
    process.stderr.write('worker: the event loop emptied before the scenario settled (a lost wake-up)\n');
    process.exit(3);
  });
  main().then(
    (result) => {
      settled = true;
      // Exits once the line is written.
      process.stdout.write(`\n${JSON.stringify({ result })}\n`, () => process.exit(0));
    },
    (error: unknown) => {
      settled = true;
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}

/** Resolves after `ms` of real time. */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The floor's Operations client: what proto-loader users write (the generator's options,
 * `makeGenericClientConstructor`), insecure, on `address`. Throws if the descriptor lacks
 * the service.
 */
export function floorOperationsClient(
  address: string,
): InstanceType<ReturnType<typeof grpc.makeGenericClientConstructor>> {
  const definition = protoLoader.fromJSON(descriptor, {
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const service = definition['google.longrunning.Operations'];
  if (service === undefined || 'format' in service || 'type' in service) {
    throw new Error('bench: google.longrunning.Operations is not a service in the descriptor');
  }
  const Operations = grpc.makeGenericClientConstructor(service, 'Operations');
  return new Operations(address, grpc.credentials.createInsecure());
}
