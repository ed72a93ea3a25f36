/**
 * Helpers for tests of many waits at once over real gRPC: a fake server and a client whose
 * time is a FakeClock, and a way to let the network settle between steps of fake time.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient, type OperationsClientOptions } from '../../src/client/grpc-client.ts';
import type { Operation } from '../../src/client/operation.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import type { FakeOperationHandle } from '../../src/testing/fake-operation.ts';
import { FakeOperationsServer, type FakeServerOptions } from '../../src/testing/fake-server.ts';

/** A server (without WaitOperation by default) and a client on a FakeClock. */
export interface Fleet {
  readonly server: FakeOperationsServer;
  readonly client: OperationsClient;
  readonly clock: FakeClock;
  close(): Promise<void>;
}

/** Exact schedules: 1 s apart, no growth, no jitter. */
export const EVERY_SECOND = { initialDelayMs: 1000, multiplier: 1, jitter: 0 } as const;

export async function startFleet(
  client: Partial<OperationsClientOptions> = {},
  server: FakeServerOptions = {},
  clock = new FakeClock(0),
): Promise<Fleet> {
  const fake = await FakeOperationsServer.start({ supportsWait: false, ...server });
  const made = new OperationsClient({
    address: fake.address,
    credentials: grpc.credentials.createInsecure(),
    clock,
    polling: EVERY_SECOND,
    ...client,
  });
  return {
    server: fake,
    client: made,
    clock,
    async close() {
      made.close();
      await fake.stop();
    },
  };
}

/** The total of the server's call counters. */
function totalCalls(server: FakeOperationsServer): number {
  return Object.values(server.calls).reduce((a, b) => a + b, 0);
}

/**
 * Waits (real time, bounded) until the network is quiet: no call open on the server, nothing
 * due at the current fake time, and neither the call counters nor the client's pending
 * sleeps changed over four checks 5 ms apart.
 */
export async function settle(fleet: Pick<Fleet, 'server' | 'clock'>): Promise<void> {
  const { server, clock } = fleet;
  let stable = 0;
  let last = '';
  for (let i = 0; i < 1000 && stable < 4; i++) {
    await new Promise((r) => setTimeout(r, 5));
    // What is due now (a listing tick planned for this instant) goes, as a timer would.
    if (clock.nextDueAt() === clock.now()) {
      await clock.advance(0);
      stable = 0;
      continue;
    }
    const now = `${totalCalls(server)}/${server.openCalls}/${clock.pendingSleeps}`;
    stable = server.openCalls === 0 && now === last ? stable + 1 : 0;
    last = now;
  }
  assert.ok(stable >= 4, `the network did not settle (${last})`);
}

/** Moves fake time on by `ms` in steps of `stepMs`, letting the network settle after each. */
export async function run(fleet: Pick<Fleet, 'server' | 'clock'>, ms: number, stepMs = ms): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    await fleet.clock.advance(Math.min(stepMs, ms - done));
    await settle(fleet);
  }
}

/** Creates `n` running operations named `<parent>/operations/<prefix>-<i>`. */
export function createUnder(fleet: Fleet, parent: string, n: number, prefix = 'op'): FakeOperationHandle[] {
  return Array.from({ length: n }, (_, i) =>
    fleet.server.create({ name: `${parent}/operations/${prefix}-${i}` }),
  );
}

/** Starts a wait on each handle; `settled` tells which have resolved. */
export function waitAll(fleet: Fleet, handles: readonly FakeOperationHandle[], options = {}) {
  const settled = handles.map(() => false);
  const errors: unknown[] = [];
  const ops: Operation[] = handles.map((h) => fleet.client.operation(h.name));
  const done = Promise.all(
    ops.map((op, i) =>
      op.wait(options).then(
        () => {
          settled[i] = true;
        },
        (error: unknown) => {
          errors.push(error);
        },
      ),
    ),
  );
  return { settled, errors, done, ops };
}

/** How many are true. */
export const count = (flags: readonly boolean[]): number => flags.filter(Boolean).length;
