/**
 * Unary latency under held waits (a worker of bench/run.ts): sequential GetOperation calls
 * of one client, timed with no wait held, then while `waits` WaitOperation calls of the same
 * client are held (default options: a client that owns its channel holds them on wait
 * connections of their own), then with none held again. The ratio compares the p99 while
 * held with the p99 of both unloaded runs together. Every wait must then settle with its
 * own result.
 */
import { lib } from './lib.ts';
import {
  Control,
  check,
  delay,
  type ExportResult,
  grpc,
  median,
  percentile,
  resultFor,
  runWorker,
  TYPES,
  workerArgs,
} from './shared.ts';

/** How long the waits may take to be held on the server before the run fails. */
const HOLD_TIMEOUT_MS = 60_000;

/** Runs the scenario with the arguments of `workerArgs()`. */
export async function main() {
  const args = workerArgs();
  const waits = Number(args.waits);
  const samples = Number(args.samples);
  const control = new Control(String(args.control));
  const client = new lib.OperationsClient({
    address: String(args.grpc),
    credentials: grpc.credentials.createInsecure(),
  });
  const [probe] = await control.create(1, 'unary-probe');
  check(probe !== undefined, 'no probe operation');
  const timeCalls = async (n: number): Promise<number[]> => {
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const op = await client.getOperation(probe);
      ms.push(performance.now() - t0);
      check(op.name === probe, 'GetOperation answered another operation');
    }
    return ms;
  };
  await timeCalls(Math.min(200, samples)); // warm-up: connection, JIT

  const idleBefore = await timeCalls(samples);
  const names = await control.create(waits, 'unary-held');
  const settled = names.map((name) => client.operation<ExportResult>(name, TYPES).wait());
  const holdStart = performance.now();
  while ((await control.stats()).openWaits < waits) {
    check(
      performance.now() - holdStart < HOLD_TIMEOUT_MS,
      `fewer than ${waits} waits held after ${HOLD_TIMEOUT_MS} ms`,
    );
    await delay(20);
  }
  const held = await timeCalls(samples);
  const { openWaits } = await control.stats();
  check(openWaits === waits, `${openWaits} of ${waits} waits still held after the timed calls`);
  await control.complete(names);
  const results = await Promise.all(settled);
  results.forEach((r, i) => {
    const name = names[i] ?? '';
    check(r.uri === resultFor(name).uri, `${name} settled with ${r.uri}`);
  });
  const idleAfter = await timeCalls(samples);
  client.close();
  await control.drop([...names, probe]);

  const idle = [...idleBefore, ...idleAfter];
  const summary = (ms: number[]) => ({ p50: median(ms), p99: percentile(ms, 99), max: Math.max(...ms) });
  return {
    waits,
    samples,
    idle: summary(idle),
    held: summary(held),
    p99Ratio: percentile(held, 99) / percentile(idle, 99),
  };
}

/** What the worker prints. */
export type UnaryResult = Awaited<ReturnType<typeof main>>;

runWorker(main);
