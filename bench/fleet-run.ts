/**
 * The fleet scenario's runs (issue 20), as bench/run.ts drives them: each run on a bench
 * server process of its own (so its quota and counters are its alone), with one or several
 * client processes (bench/fleet.ts) that start together through the server's `fleet`
 * barrier; then the server's counters are read and the processes' results merged. The
 * memory runs (bench/fleet-memory.ts) follow. A full run makes the runs one after another;
 * `--quick` makes them at once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetProcessResult, FleetVariant } from './fleet.ts';
import type { FleetMemoryResult } from './fleet-memory.ts';
import type { FleetStart } from './fleet-start.ts';
import { Control, median, percentile, type ServerAddress } from './shared.ts';

/** The fleet's workload. */
export interface FleetConfig {
  /** Operations of the fleet (split evenly between the processes of the shared run). */
  count: number;
  /** Each operation runs `minMs` plus a seeded random share of `spreadMs`. */
  minMs: number;
  spreadMs: number;
  /** Reads a second the quota admits (GetOperation and ListOperations together). */
  quota: number;
  /** Client processes of the run that shares one quota. */
  processes: number;
  /** Progress reports per operation after the first. */
  steps: number;
  seed: number;
  /** How long after the last operation completed every wait must have settled. */
  watchdogMs: number;
  memory: { count: number; holdMs: number; samples: number; sampleGapMs: number };
}

/** The parent every fleet operation is named under. */
export const FLEET_PARENT = 'projects/bench/locations/l';
/** The methods the fleet's quota meters together. */
const QUOTA_METHODS: FleetStart['quotaMethods'] = ['GetOperation', 'ListOperations'];

/** One run: who waits, with or without the quota, in how many processes. */
interface RunSpec {
  key: string;
  variant: FleetVariant;
  quota: boolean;
  processes: number;
}

/** The runs of one fleet scenario, keyed `<quota|open|shared>/<variant>`. */
export function fleetRuns(config: FleetConfig): RunSpec[] {
  return [
    { key: 'quota/defaults', variant: 'defaults', quota: true, processes: 1 },
    { key: 'quota/gax', variant: 'gax', quota: true, processes: 1 },
    { key: 'open/defaults', variant: 'defaults', quota: false, processes: 1 },
    { key: 'open/list-off', variant: 'list-off', quota: false, processes: 1 },
    { key: 'shared/defaults', variant: 'defaults', quota: true, processes: config.processes },
  ];
}

/** One run's figures, over all of its processes. */
export interface FleetRun {
  key: string;
  variant: FleetVariant;
  processes: number;
  /** Reads a second of the quota, or null without one. */
  quota: number | null;
  count: number;
  /** Waits that settled with their own result / that were lost (rejected), and why. */
  kept: number;
  lost: number;
  lostBy: Record<string, number>;
  /** Notice latency of the kept waits, ms. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Server counts over the run (from the common start to the last process's end). */
  calls: { get: number; list: number; wait: number; total: number };
  /** Calls refused for quota, and their share of all calls. */
  rejected: number;
  rejectedShare: number;
  /** All calls (refused ones too) per operation, and calls admitted per operation. */
  rpcsPerOp: number;
  acceptedPerOp: number;
  /** Client CPU of every process together, per operation, µs. */
  cpuUsPerOp: number;
  /** From the common start to the last wait settling, ms (the slowest process). */
  wallMs: number;
  /** Admitted reads per second over `wallMs`. */
  acceptedPerSecond: number;
  /** Untimed, the slowest process's: its warm-up, and its wait at the start barrier, ms. */
  warmUpMs: number;
  barrierMs: number;
}

/** Whether the library as built (dist/) has rules 12 and 13's options: their names in its declarations. */
export interface FleetBuild {
  pollBudget: boolean;
  listPolling: boolean;
}

/** The fleet scenario's results: bench/results.json `scenarios.fleet`. */
export interface FleetResults {
  build: FleetBuild;
  runs: Record<string, FleetRun>;
  /** Keyed by variant: `defaults` (reaping where the library has it) and `list-off`. */
  memory: Record<string, FleetMemoryResult>;
}

/** What bench/run.ts lends the fleet: its server processes and its workers. */
export interface FleetDeps {
  startServer(): Promise<ServerAddress & { stop(): void }>;
  worker<T>(file: 'fleet.ts' | 'fleet-memory.ts', args: object, timeoutMs?: number): Promise<T>;
  log(message: string): void;
}

/** Reads dist/'s declarations for `pollBudget` and `listPolling` (a build without them ignores the keys). */
export function fleetBuild(root: string): FleetBuild {
  let text = '';
  const dist = join(root, 'dist');
  for (const entry of readdirSync(dist, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.d.ts'))
      text += readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return { pollBudget: /\bpollBudget\b/.test(text), listPolling: /\blistPolling\b/.test(text) };
}

/** Runs `spec` on a server of its own and merges what its processes report with the server's counts. */
async function fleetRun(deps: FleetDeps, config: FleetConfig, spec: RunSpec): Promise<FleetRun> {
  const server = await deps.startServer();
  try {
    const perProcess = Math.floor(config.count / spec.processes);
    const quota = spec.quota ? config.quota : null;
    const timeoutMs = config.minMs + config.spreadMs + config.watchdogMs + 60_000;
    const results = await Promise.all(
      Array.from({ length: spec.processes }, (_, party) => {
        const start: FleetStart = {
          group: spec.key,
          parties: spec.processes,
          party,
          count: perProcess,
          parent: FLEET_PARENT,
          prefix: 'job',
          minMs: config.minMs,
          spreadMs: config.spreadMs,
          seed: config.seed,
          steps: config.steps,
          quota,
          quotaMethods: [...QUOTA_METHODS],
        };
        const args = { grpcNoWait: server.grpcNoWait, control: server.control, variant: spec.variant };
        return deps.worker<FleetProcessResult>(
          'fleet.ts',
          { ...args, start, watchdogMs: config.watchdogMs },
          timeoutMs,
        );
      }),
    );
    const stats = await new Control(server.control).stats();
    const count = perProcess * spec.processes;
    const latencies = results.flatMap((r) => r.latenciesMs);
    const lostBy: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(r.lostBy)) lostBy[k] = (lostBy[k] ?? 0) + v;
    const get = stats.calls.GetOperation ?? 0;
    const list = stats.calls.ListOperations ?? 0;
    const wait = stats.calls.WaitOperation ?? 0;
    const total = Object.values(stats.calls).reduce((a, b) => a + b, 0);
    const wallMs = Math.max(...results.map((r) => r.wallMs));
    return {
      key: spec.key,
      variant: spec.variant,
      processes: spec.processes,
      quota,
      count,
      kept: latencies.length,
      lost: results.reduce((a, r) => a + r.lost, 0),
      lostBy,
      latencyMs: { p50: median(latencies), p99: percentile(latencies, 99), max: Math.max(...latencies) },
      calls: { get, list, wait, total },
      rejected: stats.rejected,
      rejectedShare: total === 0 ? 0 : stats.rejected / total,
      rpcsPerOp: total / count,
      acceptedPerOp: (total - stats.rejected) / count,
      cpuUsPerOp: (1000 * results.reduce((a, r) => a + r.cpuMs, 0)) / count,
      wallMs,
      acceptedPerSecond: (total - stats.rejected) / (wallMs / 1000),
      warmUpMs: Math.max(...results.map((r) => r.warmUpMs)),
      barrierMs: Math.max(...results.map((r) => r.barrierMs)),
    };
  } finally {
    server.stop();
  }
}

/** Measures heap per held wait for `variant` on a server of its own. */
async function memoryRun(deps: FleetDeps, config: FleetConfig, variant: string): Promise<FleetMemoryResult> {
  const server = await deps.startServer();
  try {
    return await deps.worker<FleetMemoryResult>('fleet-memory.ts', {
      grpcNoWait: server.grpcNoWait,
      control: server.control,
      variant,
      ...config.memory,
    });
  } finally {
    server.stop();
  }
}

/** Runs every fleet run and the memory runs: one after another, or with `together`, at once. */
export async function runFleet(
  deps: FleetDeps,
  config: FleetConfig,
  root: string,
  together: boolean,
): Promise<FleetResults> {
  const tasks: (() => Promise<[string, FleetRun | FleetMemoryResult]>)[] = [
    ...fleetRuns(config).map((spec) => async (): Promise<[string, FleetRun]> => {
      deps.log(
        `scenario 9: fleet ${spec.key}, ${config.count} operations${spec.processes > 1 ? ` in ${spec.processes} processes` : ''}${spec.quota ? `, quota ${config.quota}/s` : ''}`,
      );
      const t0 = performance.now();
      const run = await fleetRun(deps, config, spec);
      deps.log(`scenario 9: fleet ${spec.key} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return [spec.key, run];
    }),
    ...['defaults', 'list-off'].map((variant) => async (): Promise<[string, FleetMemoryResult]> => {
      deps.log(`scenario 9: fleet memory, ${variant}, ${config.memory.count} held waits`);
      const t0 = performance.now();
      const run = await memoryRun(deps, config, variant);
      deps.log(
        `scenario 9: fleet memory ${variant} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      return [`memory/${variant}`, run];
    }),
  ];
  let done: [string, FleetRun | FleetMemoryResult][];
  if (together) done = await Promise.all(tasks.map((t) => t()));
  else {
    done = [];
    for (const t of tasks) done.push(await t());
  }
  const results: FleetResults = { build: fleetBuild(root), runs: {}, memory: {} };
  for (const [key, value] of done) {
    if ('key' in value) results.runs[key] = value;
    else results.memory[value.variant] = value;
  }
  return results;
}
