import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';

/** Drives `clock` from sleep to sleep (each wakes one poll that fails at once) until `done` holds. */
async function driveUntil(clock: FakeClock, done: () => boolean, maxSteps = 200): Promise<void> {
  for (let i = 0; i < maxSteps && !done(); i++) {
    await clock.untilSleeping();
    if (done()) return;
    await clock.advanceToNext();
  }
}

/** A loopback port with nothing listening: one a server had, then gave back. */
async function deadAddress(): Promise<string> {
  const server = await FakeOperationsServer.start();
  const { address } = server;
  await server.stop();
  return address;
}

describe('a wait that has never reached its server (rule 14)', () => {
  it('rejects after connectBudgetMs, not failureBudgetMs, with the cause and its fix in the message', async () => {
    const clock = new FakeClock(0);
    const client = new OperationsClient({
      address: await deadAddress(),
      credentials: grpc.credentials.createInsecure(),
      clock,
      callDefaults: { retry: false },
      polling: { initialDelayMs: 1000, multiplier: 1, jitter: 0, connectBudgetMs: 5000 },
    });
    try {
      let outcome: unknown;
      void client
        .operation('operations/never')
        .wait({ strategy: 'poll' })
        .then(
          () => {
            outcome = 'resolved';
          },
          (error: unknown) => {
            outcome = error;
          },
        );
      await driveUntil(clock, () => outcome !== undefined);
      assert.ok(RpcError.is(outcome), String(outcome));
      assert.equal(outcome.code, Code.UNAVAILABLE);
      assert.equal(clock.now(), 5000, 'the connect budget, to the millisecond');
      assert.match(outcome.message, /no answer from the server in 5 s \(connectBudgetMs\)/);
      assert.match(outcome.message, /nothing accepts connections at that address: check the address/);
      assert.match(outcome.rawMessage, /ECONNREFUSED/, "grpc-js's own words are kept");
      assert.ok(RpcError.is(outcome.cause), 'the last poll error is the cause');
    } finally {
      client.close();
    }
  });

  it('names TLS against a plaintext server, and its fix', async () => {
    const server = await FakeOperationsServer.start();
    const clock = new FakeClock(0);
    const client = new OperationsClient({
      address: server.address,
      clock,
      callDefaults: { retry: false },
      polling: { initialDelayMs: 1000, multiplier: 1, jitter: 0, connectBudgetMs: 2000 },
    });
    try {
      let outcome: unknown;
      void client
        .operation('operations/tls')
        .wait({ strategy: 'poll' })
        .catch((error: unknown) => {
          outcome = error;
        });
      await driveUntil(clock, () => outcome !== undefined);
      assert.ok(RpcError.is(outcome), String(outcome));
      assert.match(
        outcome.message,
        /TLS against a plaintext server: pass grpc.credentials.createInsecure\(\)/,
      );
      assert.equal(server.calls.GetOperation, 0, 'nothing reached it');
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('an outage of a server that has answered before is failureBudgetMs, not connectBudgetMs', async () => {
    const server = await FakeOperationsServer.start();
    const clock = new FakeClock(0);
    const client = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
      clock,
      callDefaults: { retry: false },
      polling: {
        initialDelayMs: 1000,
        multiplier: 1,
        jitter: 0,
        connectBudgetMs: 2000,
        failureBudgetMs: 6000,
      },
    });
    try {
      const h = server.create();
      let outcome: unknown;
      void client
        .operation(h.name)
        .wait({ strategy: 'poll' })
        .catch((error: unknown) => {
          outcome = error;
        });
      await clock.untilSleeping();
      assert.equal(server.calls.GetOperation, 1, 'the first poll was answered');
      await server.stop();
      await driveUntil(clock, () => outcome !== undefined);
      assert.ok(RpcError.is(outcome), String(outcome));
      assert.equal(outcome.code, Code.UNAVAILABLE);
      assert.equal(clock.now(), 6000, 'the failure budget, counted from the last answered poll');
      assert.doesNotMatch(outcome.message, /connectBudgetMs/);
    } finally {
      client.close();
    }
  });
});
