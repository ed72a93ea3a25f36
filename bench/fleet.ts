/**
 * The fleet scenario (issue 20; a worker of bench/run.ts, one or several processes per run):
 * a batch job's waiting. The process warms up, then asks the bench server to start its
 * share of the fleet (a barrier: every process of the run asks, then all operations start
 * at one moment, with the quota set and the server's counters reset then). The operations
 * are progress jobs named under one parent on the server without WaitOperation; the
 * process waits on all of its operations at once, each with one `wait()` (or gax's
 * `promise()`), and records how each settled: with its own result, or lost (rejected).
 * Notice latency is from the server marking an operation done to its wait settling
 * (CLOCK_MONOTONIC in both processes). Server counters are read by the caller (they cover
 * every process of the run).
 *
 * Variants: `defaults` is `OperationsClient` with default options (rules 12 and 13 at
 * their defaults once the library has them); `list-off` is the same with
 * `listPolling: false` (the GetOperation polling of every wait on its own); `gax` is
 * google-gax 5.0.8's `operation.promise()`, which rejects on the first RESOURCE_EXHAUSTED.
 */

import { fleetClientOptions } from './fleet-options.ts';
import { parseFleetStart } from './fleet-start.ts';
import { gaxWaiter } from './gax-waiter.ts';
import { lib } from './lib.ts';
import {
  Control,
  check,
  cpuMicros,
  type ExportResult,
  monoNs,
  resultFor,
  runWorker,
  TYPES,
  workerArgs,
} from './shared.ts';

export type FleetVariant = 'defaults' | 'list-off' | 'gax';
const VARIANTS: readonly FleetVariant[] = ['defaults', 'list-off', 'gax'];
const isVariant = (v: string): v is FleetVariant => VARIANTS.some((known) => known === v);
/** Operations of the warm-up, completing 20 ms apart (under a parent of their own). */
const WARM_UP = 8;

/** Starts one wait per name; each resolves with its response's `uri`. */
function waiter(
  variant: FleetVariant,
  address: string,
): { wait(name: string): Promise<string>; close(): void } {
  if (variant === 'gax') return gaxWaiter(address);
  const client = new lib.OperationsClient(fleetClientOptions(variant, address));
  return {
    wait: async (name) => (await client.operation<ExportResult>(name, TYPES).wait()).uri,
    close: () => client.close(),
  };
}

/** The gRPC code name of a lost wait's error (`RESOURCE_EXHAUSTED`), or what it was. */
function lossReason(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
    return lib.codeName(error.code);
  }
  return error instanceof Error ? error.name : typeof error;
}

/** Runs one process's share with the arguments of `workerArgs()`. */
export async function main() {
  const args = workerArgs();
  const variant = String(args.variant);
  if (!isVariant(variant)) throw new Error(`fleet: unknown variant ${variant}`);
  const raw = args.start;
  if (typeof raw !== 'object' || raw === null) throw new Error('fleet: start must be an object');
  const start = parseFleetStart({ ...raw });
  const party = start.party;
  const watchdogMs = Number(args.watchdogMs);
  const control = new Control(String(args.control));
  const began = monoNs();
  const w = waiter(variant, String(args.grpcNoWait));

  // Warm-up: a few operations through the same path (and, for ours, the same discovery that
  // the server lacks WaitOperation), so the timed run is not the JIT's first.
  const warm = await control.create(
    WARM_UP,
    `warm-${start.group}-${party}`,
    `projects/warm/locations/p${party}`,
  );
  await control.schedule(
    warm,
    warm.map((_, i) => 20 * i),
  );
  await Promise.all(warm.map((n) => w.wait(n)));
  await control.drop(warm);
  const warmedUp = monoNs();

  const { names, durationsMs } = await control.fleet(start);
  const started = monoNs();
  const cpu0 = process.cpuUsage();
  const settledAt = new Array<bigint | undefined>(names.length);
  const lostBy: Record<string, number> = {};
  const wrong: string[] = [];
  let settled = 0;
  let watchdog: NodeJS.Timeout | undefined;
  const longest = Math.max(...durationsMs);
  await Promise.race([
    Promise.all(
      names.map(async (name, i) => {
        try {
          const uri = await w.wait(name);
          settledAt[i] = monoNs();
          if (uri !== resultFor(name).uri) wrong.push(`${name} settled with ${uri}`);
        } catch (error) {
          const reason = lossReason(error);
          lostBy[reason] = (lostBy[reason] ?? 0) + 1;
        } finally {
          settled++;
        }
      }),
    ),
    new Promise<never>((_, reject) => {
      watchdog = setTimeout(
        () =>
          reject(
            new Error(
              `fleet ${variant}: only ${settled} of ${names.length} waits settled ${watchdogMs} ms after the last completion`,
            ),
          ),
        longest + watchdogMs,
      );
    }),
  ]);
  clearTimeout(watchdog);
  const cpuUs = cpuMicros(cpu0);
  const wallMs = Number(monoNs() - started) / 1e6;
  check(wrong.length === 0, `${wrong.length} waits settled with the wrong result: ${wrong.slice(0, 3)}`);

  const keptAt = settledAt.flatMap((at, i) => (at === undefined ? [] : [{ name: names[i] ?? '', at }]));
  const completed = await control.completions(keptAt.map((k) => k.name));
  const latenciesMs = keptAt.map(({ name, at }, i) => {
    const done = completed[i];
    check(done !== undefined, `${name}: no completion time`);
    const ms = Number(at - done) / 1e6;
    check(ms >= 0, `${name} settled ${-ms} ms before the server completed it`);
    return ms;
  });
  w.close();
  return {
    variant,
    party,
    count: names.length,
    kept: keptAt.length,
    lost: names.length - keptAt.length,
    lostBy,
    /** Notice latency of each wait that settled with its result, ms (merged over processes by the caller). */
    latenciesMs,
    cpuMs: cpuUs / 1000,
    wallMs,
    /** Untimed: the warm-up, and the wait at the start barrier for the run's other processes, ms. */
    warmUpMs: Number(warmedUp - began) / 1e6,
    barrierMs: Number(started - warmedUp) / 1e6,
  };
}

/** What one fleet process prints. */
export type FleetProcessResult = Awaited<ReturnType<typeof main>>;

runWorker(main);
