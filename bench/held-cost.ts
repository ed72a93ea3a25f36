/**
 * Client CPU per held wait (a worker of bench/run.ts). Each round starts `perRound` waits
 * on running operations, lets the server hold them all, then completes them; client CPU
 * is measured from the first start to the last result and divided by the waits:
 *   floor  one WaitOperation per operation through the generated grpc-js client
 *          (proto-loader, the generator's options) and a bare protobufjs `Type.decode` +
 *          `toObject` of the response;
 *   ours   `op.wait()` with default options (strategy auto; held on wait connections).
 * Rounds alternate the two; the ratio is the median of per-round ratios. After the timed
 * rounds, one more round of each runs under the CPU profiler and one under the sampling
 * heap profiler (untimed: sampling costs CPU too), and their summaries are part of the
 * result, so the report can show where the time goes and what each allocates;
 * `profileDir` also keeps the raw `.cpuprofile` files there (for Chrome DevTools).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import type { RawOperation } from '../src/index.ts';
import { lib, transport } from './lib.ts';
import {
  type AllocationSummary,
  type ProfileSummary,
  startHeapSampler,
  startProfiler,
  summarizeProfile,
} from './profile.ts';
import {
  Control,
  check,
  cpuMicros,
  delay,
  type ExportResult,
  floorOperationsClient,
  grpc,
  median,
  percentile,
  RESULT_TYPE,
  resultFor,
  runWorker,
  TYPES,
  workerArgs,
} from './shared.ts';

type Variant = 'floor' | 'ours';

/** The floor: one bare WaitOperation call and a decode per operation. */
function floorWaiter(address: string): { wait(name: string): Promise<string>; close(): void } {
  const client = floorOperationsClient(address);
  const waitOperation = client.WaitOperation;
  if (typeof waitOperation !== 'function') throw new Error('bench: generated client has no WaitOperation');
  const type = lib.createRegistry().lookup(RESULT_TYPE);
  if (type === undefined) throw new Error(`bench: ${RESULT_TYPE} missing`);
  return {
    wait: (name) =>
      new Promise((resolve, reject) => {
        const request = { name, timeout: { seconds: 30, nanos: 0 } };
        waitOperation.call(client, request, (error: ServiceError | null, op?: RawOperation) => {
          if (error !== null || op === undefined || op.response == null) {
            reject(error ?? new Error('bench: WaitOperation returned no response'));
            return;
          }
          const result = type.toObject(
            type.decode(op.response.value),
            transport.TO_OBJECT_OPTIONS,
          ) as ExportResult;
          resolve(result.uri);
        });
      }),
    close: () => client.close(),
  };
}

/** Runs the scenario with the arguments of `workerArgs()`. */
export async function main() {
  const args = workerArgs();
  const address = String(args.grpc);
  const control = new Control(String(args.control));
  const rounds = Number(args.rounds);
  const perRound = Number(args.perRound);
  const floor = floorWaiter(address);
  const client = new lib.OperationsClient({ address, credentials: grpc.credentials.createInsecure() });
  const waiters: Record<Variant, (name: string) => Promise<string>> = {
    floor: (name) => floor.wait(name),
    ours: async (name) => (await client.operation<ExportResult>(name, TYPES).wait()).uri,
  };

  async function round(variant: Variant, n: number, r: number): Promise<number> {
    const names = await control.create(n, `held-${variant}-${r}`);
    const cpu0 = process.cpuUsage();
    const results = names.map((name) => waiters[variant](name));
    // Untimed for CPU purposes: sleeping costs nothing; the control calls cost both alike.
    await delay(100);
    for (let i = 0; (await control.stats()).openWaits < n; i++) {
      check(i < 500, `${variant}: fewer than ${n} waits held after 10 s`);
      await delay(20);
    }
    await control.complete(names);
    const uris = await Promise.all(results);
    const cpuUs = cpuMicros(cpu0);
    for (const [i, uri] of uris.entries()) {
      check(uri === resultFor(names[i] ?? '').uri, `${variant} settled with ${uri}`);
    }
    await control.drop(names);
    return cpuUs / n;
  }

  for (const v of ['floor', 'ours'] as const) await round(v, Math.min(200, perRound), -1); // warm-up
  const cpu: Record<Variant, number[]> = { floor: [], ours: [] };
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const order: Variant[] = r % 2 === 0 ? ['floor', 'ours'] : ['ours', 'floor'];
    const got: Partial<Record<Variant, number>> = {};
    for (const v of order) {
      got[v] = await round(v, perRound, r);
      cpu[v].push(got[v]);
    }
    ratios.push((got.ours ?? Number.NaN) / (got.floor ?? Number.NaN));
  }
  const profiles: Partial<Record<Variant, ProfileSummary>> = {};
  for (const v of ['floor', 'ours'] as const) {
    const profiler = await startProfiler();
    await round(v, perRound, rounds);
    const profile = await profiler.stop();
    profiles[v] = summarizeProfile(profile);
    if (typeof args.profileDir === 'string') {
      writeFileSync(join(args.profileDir, `held-${v}.cpuprofile`), JSON.stringify(profile));
    }
  }
  // And one more round each under the sampling heap profiler: what each variant allocates.
  const allocations: Partial<Record<Variant, AllocationSummary>> = {};
  for (const v of ['floor', 'ours'] as const) {
    const sampler = await startHeapSampler();
    await round(v, perRound, rounds + 1);
    allocations[v] = await sampler.stop();
  }
  floor.close();
  client.close();
  return {
    profiles,
    allocations,
    rounds,
    perRound,
    floorCpuUsPerWait: median(cpu.floor),
    oursCpuUsPerWait: median(cpu.ours),
    oursOverFloor: median(ratios),
    oursOverFloorIqr: [percentile(ratios, 25), percentile(ratios, 75)],
  };
}

/** What the worker prints. */
export type HeldCostResult = Awaited<ReturnType<typeof main>>;

runWorker(main);
