/**
 * Heap per held wait in a fleet (issue 20; a worker of bench/run.ts, one fresh process per
 * variant, run with --expose-gc): `count` running operations under one parent, on the
 * server without WaitOperation and without a quota, are waited on at once by one client
 * (`defaults`: list reaping where the library has it; `list-off`: `listPolling: false`,
 * every wait polling on its own). After `holdMs`, `samples` readings of the heap in use
 * (each after two full collections, `sampleGapMs` apart) are taken while every wait is
 * held; the heap per wait is the median reading less the reading before the waits
 * started, over `count`. Then the operations complete and every wait must settle with its
 * own result; the heap is read once more.
 */
import { fleetClientOptions } from './fleet-options.ts';
import { lib } from './lib.ts';
import {
  Control,
  check,
  delay,
  type ExportResult,
  median,
  resultFor,
  runWorker,
  TYPES,
  workerArgs,
} from './shared.ts';

/** How long after completing them every wait must have settled. */
const SETTLE_TIMEOUT_MS = 120_000;

/** The heap in use after two full collections (so weak references and finalizers settle). */
function heapUsed(): number {
  const collect = globalThis.gc;
  if (collect === undefined) throw new Error('fleet-memory: run node with --expose-gc');
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

/** Runs the scenario with the arguments of `workerArgs()`. */
export async function main() {
  const args = workerArgs();
  const variant = String(args.variant);
  if (variant !== 'defaults' && variant !== 'list-off')
    throw new Error(`fleet-memory: unknown variant ${variant}`);
  const count = Number(args.count);
  const holdMs = Number(args.holdMs);
  const samples = Number(args.samples);
  const sampleGapMs = Number(args.sampleGapMs);
  const control = new Control(String(args.control));
  const client = new lib.OperationsClient(fleetClientOptions(variant, String(args.grpcNoWait)));
  const wait = async (name: string): Promise<string> =>
    (await client.operation<ExportResult>(name, TYPES).wait()).uri;

  // Warm-up under a parent of its own: the same code paths (and the discovery that the
  // server lacks WaitOperation) before anything is measured.
  const warm = await control.create(8, `warm-memory-${variant}`, 'projects/warm/locations/memory');
  await control.schedule(
    warm,
    warm.map((_, i) => 20 * i),
  );
  await Promise.all(warm.map(wait));
  await control.drop(warm);

  const names = await control.create(count, `memory-${variant}`, 'projects/bench/locations/memory');
  await delay(100);
  const base = median([heapUsed(), heapUsed(), heapUsed()]);
  await control.reset();
  let settled = 0;
  const waits = names.map((name) =>
    wait(name).then((uri) => {
      settled++;
      return uri;
    }),
  );
  await delay(holdMs);
  const readings: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (i > 0) await delay(sampleGapMs);
    readings.push(heapUsed());
  }
  const held = await control.stats();
  check(settled === 0, `${settled} waits settled while their operations were running`);

  await control.complete(names);
  let timer: NodeJS.Timeout | undefined;
  const uris = await Promise.race([
    Promise.all(waits),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`fleet-memory: only ${settled} of ${count} waits settled`)),
        SETTLE_TIMEOUT_MS,
      );
    }),
  ]);
  clearTimeout(timer);
  uris.forEach((uri, i) => {
    check(uri === resultFor(names[i] ?? '').uri, `${names[i]} settled with ${uri}`);
  });
  await delay(100);
  const after = heapUsed();
  client.close();
  await control.drop(names);
  const perWait = (bytes: number): number => (bytes - base) / count;
  return {
    variant,
    count,
    holdMs,
    baseMB: base / 2 ** 20,
    /** Median heap growth per held wait, bytes. */
    heldBytesPerWait: perWait(median(readings)),
    /** Every reading, as growth per held wait (bytes). */
    readingsBytesPerWait: readings.map(perWait),
    /** Heap growth per wait once every wait settled (the results are still referenced), bytes. */
    afterBytesPerWait: perWait(after),
    /** What the waits called while held (from their start to the last reading). */
    heldCalls: {
      get: held.calls.GetOperation ?? 0,
      list: held.calls.ListOperations ?? 0,
      wait: held.calls.WaitOperation ?? 0,
    },
  };
}

/** What the worker prints. */
export type FleetMemoryResult = Awaited<ReturnType<typeof main>>;

runWorker(main);
