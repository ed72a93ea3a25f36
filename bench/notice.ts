/**
 * Scenarios 2 and 3 (a worker of bench/run.ts, one fresh process per variant): `count`
 * operations are created and waited on at once by one client; the server completes them
 * at seeded random times spread over `spreadMs`. For each, the notice latency is the time
 * from the server marking it done to the client's wait settling (CLOCK_MONOTONIC in both
 * processes). Also measured: RPCs per operation (server counters), client CPU, and RSS
 * (sampled every 50 ms; growth over the pre-wait baseline).
 *
 * Variants: `auto` and `poll` are `op.wait()` with that strategy and default settings;
 * `auto-shared` is `auto` on a channel the caller passes in (so `maxWaitCalls` is 64 and
 * every call shares one connection); `eta-off` is `auto` with `polling.eta: false` (the
 * backoff schedule alone); `list-off` is `auto` on a client with `listPolling: false`
 * (each wait polls on its own, without list reaping, rule 13); `gax` is
 * `operation.promise()` with gax's defaults. Every wait must settle with its own
 * operation's result.
 *
 * With `shape` (the slow-operation scenario) the operations are jobs of `minMs` to
 * `minMs + spreadMs` that report progress of that shape (bench/server.ts), waited on over
 * the server without WaitOperation (`noWait`).
 */
import type { WaitStrategy } from '../src/index.ts';
import { gaxWaiter } from './gax-waiter.ts';
import { lib } from './lib.ts';
import { type Profiler, type ProfileSummary, startProfiler, summarizeProfile } from './profile.ts';
import {
  Control,
  check,
  cpuMicros,
  delay,
  type ExportResult,
  grpc,
  median,
  monoNs,
  percentile,
  pollRpcs,
  resultFor,
  runWorker,
  seededRandom,
  TYPES,
  workerArgs,
} from './shared.ts';

type Variant = 'auto' | 'poll' | 'auto-shared' | 'eta-off' | 'list-off' | 'gax';
const VARIANTS: readonly Variant[] = ['auto', 'poll', 'auto-shared', 'eta-off', 'list-off', 'gax'];
/** The start of a run in which completions count as the start burst (see `afterStart`). */
const START_BURST_MS = 100;
/** How long after the last scheduled completion every wait must have settled. */
const WATCHDOG_MS = 90_000;
const isVariant = (v: string): v is Variant => VARIANTS.some((known) => known === v);

/** Starts one wait per name; each resolves with its response's `uri`. */
function waiter(
  variant: Variant,
  address: string,
): {
  wait(name: string): Promise<string>;
  close(): void;
} {
  if (variant === 'gax') return gaxWaiter(address);
  const owner =
    variant === 'auto-shared' ? new grpc.Client(address, grpc.credentials.createInsecure()) : undefined;
  const client = new lib.OperationsClient(
    owner === undefined
      ? {
          address,
          credentials: grpc.credentials.createInsecure(),
          ...(variant === 'list-off' ? { listPolling: false as const } : {}),
        }
      : { channel: owner.getChannel() },
  );
  const strategy: WaitStrategy = variant === 'poll' ? 'poll' : 'auto';
  const polling = variant === 'eta-off' ? { eta: false as const } : {};
  return {
    wait: async (name) => {
      const result = await client.operation<ExportResult>(name, TYPES).wait({ strategy, polling });
      return result.uri;
    },
    close: () => {
      client.close();
      owner?.close();
    },
  };
}

/** Runs the scenario with the arguments of `workerArgs()`. */
export async function main() {
  const args = workerArgs();
  const variant = String(args.variant);
  if (!isVariant(variant)) throw new Error(`notice: unknown variant ${variant}`);
  const count = Number(args.count);
  const spreadMs = Number(args.spreadMs);
  const shape = args.shape === undefined ? undefined : String(args.shape);
  const minMs = Number(args.minMs ?? 0);
  const control = new Control(String(args.control));
  const w = waiter(variant, String(shape === undefined ? args.grpc : args.grpcNoWait));

  // Warm-up: a few operations through the same path, so the timed run is not the JIT's first.
  const warm = await control.create(8, `warm-${variant}`);
  await control.schedule(
    warm,
    warm.map((_, i) => 20 * i),
  );
  await Promise.all(warm.map((n) => w.wait(n)));
  await control.drop(warm);

  const names = await control.create(count, `${String(args.prefix ?? 'notice')}-${variant}`);
  const random = seededRandom(Number(args.seed ?? 7));
  const delays = names.map(() => minMs + Math.floor(random() * spreadMs));
  globalThis.gc?.();
  await delay(50);
  const rssBase = process.memoryUsage.rss();
  let rssPeak = rssBase;
  // Sampling costs the client CPU too (about 2 ms/s), so only when asked (the scale scenario).
  const sampler =
    args.sampleRss === true
      ? setInterval(() => {
          rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
        }, 100)
      : undefined;
  await control.reset();
  if (shape === undefined) await control.schedule(names, delays);
  else await control.progress(names, delays, shape);

  // The scale scenario samples where the CPU goes, coarsely (1 ms) so the profiler costs
  // little, and alike for every variant.
  const profiler: Profiler | undefined = args.profile === true ? await startProfiler(1000) : undefined;
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const settledAt = new Array<bigint>(names.length);
  const wrong: string[] = [];
  let settled = 0;
  let watchdog: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(
      names.map(async (name, i) => {
        const uri = await w.wait(name);
        settledAt[i] = monoNs();
        settled++;
        if (uri !== resultFor(name).uri) wrong.push(`${name} settled with ${uri}`);
      }),
    ),
    new Promise<never>((_, reject) => {
      watchdog = setTimeout(
        () =>
          reject(
            new Error(
              `bench: only ${settled} of ${count} waits settled ${WATCHDOG_MS} ms after the last completion`,
            ),
          ),
        minMs + spreadMs + WATCHDOG_MS,
      );
    }),
  ]);
  clearTimeout(watchdog);
  const cpuUs = cpuMicros(cpu0);
  const profile: ProfileSummary | undefined =
    profiler === undefined ? undefined : summarizeProfile(await profiler.stop(), 8);
  const wallMs = performance.now() - wall0;
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());

  const stats = await control.stats();
  const completed = await control.completions(names);
  w.close();
  await control.drop(names);

  check(wrong.length === 0, `${wrong.length} waits settled with the wrong result: ${wrong.slice(0, 3)}`);
  const latenciesMs = completed.map((at, i) => {
    const settled = settledAt[i];
    check(settled !== undefined, `${names[i]} never settled`);
    const ms = Number(settled - at) / 1e6;
    check(ms >= 0, `${names[i]} settled ${-ms} ms before the server completed it`);
    return ms;
  });
  const steady = latenciesMs.filter((_, i) => (delays[i] ?? 0) >= START_BURST_MS);
  const rpcs = pollRpcs(stats);
  check(rpcs >= count, `the server saw ${rpcs} polls for ${count} operations`);
  return {
    variant,
    count,
    spreadMs,
    minMs,
    shape: shape ?? null,
    settled: latenciesMs.length,
    latencyMs: {
      p50: median(latenciesMs),
      p99: percentile(latenciesMs, 99),
      max: Math.max(...latenciesMs),
    },
    /**
     * The same for the operations the server completed after the start burst (the first
     * START_BURST_MS, while the client is still starting its waits and opening connections),
     * and how many completed within it: what the steady state looks like.
     */
    afterStart: {
      burstMs: START_BURST_MS,
      within: latenciesMs.length - steady.length,
      p99: percentile(steady, 99),
      max: Math.max(...steady),
    },
    rpcs,
    rpcsPerOp: rpcs / count,
    getOperation: stats.calls.GetOperation ?? 0,
    waitOperation: stats.calls.WaitOperation ?? 0,
    listOperations: stats.calls.ListOperations ?? 0,
    peakOpenWaits: stats.peakOpenWaits,
    cpuMs: cpuUs / 1000,
    cpuUsPerOp: cpuUs / count,
    wallMs,
    rssBaseMB: rssBase / 2 ** 20,
    rssPeakMB: rssPeak / 2 ** 20,
    rssGrowthKBPerOp: (rssPeak - rssBase) / 1024 / count,
    /** Where the timed section's CPU went (with `profile: true`). */
    ...(profile === undefined ? {} : { profile }),
  };
}

/** What the worker prints. */
export type NoticeResult = Awaited<ReturnType<typeof main>>;

runWorker(main);
