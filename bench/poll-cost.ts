/**
 * Scenario 1, per-poll cost (a worker of bench/run.ts). One running operation whose
 * metadata is a packed ExportMetadata; each poll is one GetOperation and unpacks the
 * metadata:
 *   floor  the generated grpc-js client (proto-loader, the generator's options) and a bare
 *          protobufjs `Type.decode` + `toObject` of the metadata bytes;
 *   ours   `op.poll()` then `op.metadata`;
 *   gax    `operation.getOperation()` (decodes metadata with `Type.decode` only).
 * Polls are sequential. Rounds of the three alternate, in a rotating order, so noise on
 * the shared machine hits all alike; ratios are medians of per-round ratios.
 */
import type { ServiceError } from '@grpc/grpc-js';
import type { RawOperation } from '../src/index.ts';
import { createGaxClient } from './gax.mjs';
import { lib, transport } from './lib.ts';
import {
  Control,
  check,
  cpuMicros,
  type ExportMetadata,
  floorOperationsClient,
  grpc,
  METADATA,
  METADATA_TYPE,
  median,
  percentile,
  runWorker,
  workerArgs,
} from './shared.ts';

type Variant = 'floor' | 'ours' | 'gax';
const ORDERS: Variant[][] = [
  ['floor', 'ours', 'gax'],
  ['ours', 'gax', 'floor'],
  ['gax', 'floor', 'ours'],
  ['floor', 'gax', 'ours'],
  ['ours', 'floor', 'gax'],
  ['gax', 'ours', 'floor'],
];

/** The floor: what proto-loader-gen-types users write, with nothing on top. */
function floorPoller(address: string, name: string): { poll(): Promise<ExportMetadata>; close(): void } {
  const client = floorOperationsClient(address);
  const getOperation = client.GetOperation;
  if (typeof getOperation !== 'function') throw new Error('bench: generated client has no GetOperation');
  const type = lib.createRegistry().lookup(METADATA_TYPE);
  if (type === undefined) throw new Error(`bench: ${METADATA_TYPE} missing`);
  const request = { name };
  return {
    poll: () =>
      new Promise((resolve, reject) => {
        getOperation.call(client, request, (error: ServiceError | null, op?: RawOperation) => {
          if (error !== null || op === undefined || op.metadata == null) {
            reject(error ?? new Error('bench: GetOperation returned no metadata'));
            return;
          }
          resolve(
            type.toObject(type.decode(op.metadata.value), transport.TO_OBJECT_OPTIONS) as ExportMetadata,
          );
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
  const [name] = await control.create(1, 'poll-cost');
  if (name === undefined) throw new Error('bench: no operation created');

  const floor = floorPoller(address, name);
  const client = new lib.OperationsClient({ address, credentials: grpc.credentials.createInsecure() });
  const op = client.operation<unknown, ExportMetadata>(name, { metadataType: METADATA_TYPE });
  const gaxClient = createGaxClient(address);
  const gaxOp = gaxClient.operation(name);

  let checked = 0;
  const polls: Record<Variant, () => Promise<void>> = {
    floor: async () => {
      const m = await floor.poll();
      check(m.progressPercent === 42 && m.rowsProcessed === METADATA.rowsProcessed, 'floor metadata');
      checked++;
    },
    ours: async () => {
      await op.poll();
      const m = op.metadata;
      check(
        !op.done && m?.progressPercent === 42 && m.rowsProcessed === METADATA.rowsProcessed,
        'ours metadata',
      );
      checked++;
    },
    gax: async () => {
      const [, m] = await gaxOp.getOperation();
      check(m?.progressPercent === 42 && m.state === METADATA.state, 'gax metadata');
      checked++;
    },
  };

  async function round(variant: Variant, n: number): Promise<{ cpuUs: number; wallUs: number }> {
    const poll = polls[variant];
    const wall0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await poll();
    const cpuUs = cpuMicros(cpu0);
    return { cpuUs: cpuUs / n, wallUs: ((performance.now() - wall0) * 1000) / n };
  }

  // Warm-up: connections, JIT, lazy setup of every path.
  for (const v of ['floor', 'ours', 'gax'] as const) await round(v, Math.min(500, perRound));
  await control.reset();
  checked = 0;

  const cpu: Record<Variant, number[]> = { floor: [], ours: [], gax: [] };
  const wall: Record<Variant, number[]> = { floor: [], ours: [], gax: [] };
  const oursOverFloor: number[] = [];
  const gaxOverOurs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const got: Partial<Record<Variant, number>> = {};
    for (const v of ORDERS[r % ORDERS.length] ?? ORDERS[0] ?? []) {
      const { cpuUs, wallUs } = await round(v, perRound);
      cpu[v].push(cpuUs);
      wall[v].push(wallUs);
      got[v] = cpuUs;
    }
    oursOverFloor.push((got.ours ?? Number.NaN) / (got.floor ?? Number.NaN));
    gaxOverOurs.push((got.gax ?? Number.NaN) / (got.ours ?? Number.NaN));
  }
  const stats = await control.stats();
  const total = 3 * rounds * perRound;
  check(checked === total, `${checked} of ${total} polls checked`);
  check(
    stats.calls.GetOperation === total,
    `server saw ${stats.calls.GetOperation} GetOperation calls, expected ${total}`,
  );
  floor.close();
  client.close();
  gaxClient.close();
  await control.drop([name]);

  const summary = (v: Variant) => ({ cpuUsPerPoll: median(cpu[v]), wallUsPerPoll: median(wall[v]) });
  return {
    polls: rounds * perRound,
    rounds,
    perRound,
    floor: summary('floor'),
    ours: summary('ours'),
    gax: summary('gax'),
    oursOverFloor: median(oursOverFloor),
    /** Interquartile range of the per-round ratios: how much the shared machine moved them. */
    oursOverFloorIqr: [percentile(oursOverFloor, 25), percentile(oursOverFloor, 75)],
    gaxOverOurs: median(gaxOverOurs),
    gaxOverFloor: median(cpu.gax) / median(cpu.floor),
  };
}

/** What the worker prints. */
export type PollCostResult = Awaited<ReturnType<typeof main>>;

runWorker(main);
