/**
 * Heap growth per poll of one long wait, measured on a FakeClock against an in-memory
 * transport (no network, so only the wait engine's own allocations count). Run under
 * `--expose-gc`; used by long-waits.test.ts and runnable alone:
 * `node --import tsx --expose-gc test/reliability/heap-per-poll.ts [polls]`.
 */
import { OperationsApi } from '../../src/client/client-core.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import type { OperationsTransport } from '../../src/transport/operations-transport.ts';
import { callStartMethod } from '../../src/transport/start-call.ts';
import type { RawOperation } from '../../src/wire/types.ts';

/** Collects garbage (twice, so weak references and finalizers settle) and reads the heap in use. */
function heapUsed(): number {
  const collect = globalThis.gc;
  if (collect === undefined) throw new Error('run node with --expose-gc');
  collect();
  collect();
  return process.memoryUsage().heapUsed;
}

/**
 * Runs one wait (GetOperation polling, 1 s apart on the FakeClock) through `warmup` polls,
 * then `polls` more, and returns the heap growth per poll over the second stretch, in bytes.
 */
export async function heapPerPoll(
  polls: number,
  warmup = 2000,
): Promise<{ bytesPerPoll: number; gets: number }> {
  const clock = new FakeClock();
  let gets = 0;
  const transport: OperationsTransport = {
    get: async (name): Promise<RawOperation> => {
      gets++;
      return { name, done: false, metadata: null, error: null, response: null };
    },
    cancel: async () => {},
    delete: async () => {},
    list: async () => ({ operations: [], nextPageToken: '', unreachable: [] }),
  };
  const api = new OperationsApi(
    transport,
    createRegistry(),
    clock,
    { polling: { initialDelayMs: 1000, multiplier: 1, jitter: 0 } },
    callStartMethod,
  );
  const stop = new AbortController();
  const waiting = api
    .operation('operations/long')
    .wait({ strategy: 'poll', signal: stop.signal })
    .catch(() => {});
  const run = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      await clock.advance(1000);
      // The FakeClock records every sleep; keep its list from counting as the wait's growth.
      if (clock.sleeps.length > 1000) clock.sleeps.length = 0;
    }
  };
  await run(warmup);
  const before = heapUsed();
  const start = gets;
  await run(polls);
  const after = heapUsed();
  const made = gets - start;
  stop.abort();
  await waiting;
  api.close();
  return { bytesPerPoll: (after - before) / made, gets: made };
}

if (process.argv[1] === import.meta.filename) {
  const polls = Number(process.argv[2] ?? 100_000);
  const started = performance.now();
  const { bytesPerPoll, gets } = await heapPerPoll(polls);
  console.log(
    `${gets} polls: ${bytesPerPoll.toFixed(1)} bytes of heap per poll (${((performance.now() - started) / 1000).toFixed(1)} s)`,
  );
}
