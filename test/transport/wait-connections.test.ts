import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient, type OperationsClientOptions } from '../../src/client/grpc-client.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import type { FakeOperationHandle } from '../../src/testing/fake-operation.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import {
  DEFAULT_MAX_WAIT_CALLS_PER_CONNECTION,
  WaitConnections,
  type WaitLease,
} from '../../src/transport/wait-connections.ts';
import { RpcError } from '../../src/wire/errors.ts';

/** One client connection through the proxy: the socket from the client and the one to the server. */
interface Pair {
  readonly inbound: Socket;
  readonly outbound: Socket;
}

/**
 * A loopback TCP proxy in front of `target`, so a test can see each connection a client
 * opens and cut one. `live` holds the pairs whose both sockets are open.
 */
async function startProxy(
  target: string,
): Promise<{ address: string; live: Set<Pair>; accepted(): number; close(): Promise<void> }> {
  const [host, port] = target.split(':');
  const live = new Set<Pair>();
  let accepted = 0;
  const server: Server = createServer((inbound) => {
    accepted++;
    const outbound = createConnection({ host, port: Number(port) });
    const pair = { inbound, outbound };
    live.add(pair);
    const end = (): void => {
      live.delete(pair);
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('close', end).on('error', end);
    outbound.on('close', end).on('error', end);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('proxy did not bind');
  return {
    address: `127.0.0.1:${bound.port}`,
    live,
    accepted: () => accepted,
    close: async () => {
      for (const { inbound, outbound } of live) {
        inbound.destroy();
        outbound.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits (bounded: 400 turns of 5 ms real time) until `check` holds; advances `clock` past pending sleeps meanwhile when given. */
async function eventually(check: () => boolean, what: string, clock?: FakeClock): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) {
    if (clock !== undefined && clock.nextDueAt() !== undefined) await clock.advanceToNext();
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.ok(check(), `timed out waiting for ${what}`);
}

/** Held waits per server-side client address, largest first. */
const heldPerConnection = (server: FakeOperationsServer): number[] =>
  [...server.openWaitsByPeer.values()].sort((a, b) => b - a);

describe('wait connections of a client that owns its channel', () => {
  let server: FakeOperationsServer;
  before(async () => {
    server = await FakeOperationsServer.start();
  });
  after(async () => {
    await server.stop();
  });

  /** A client through a fresh proxy, with a FakeClock; both closed by `done()`. */
  async function setUp(options: Partial<OperationsClientOptions>) {
    const proxy = await startProxy(server.address);
    const clock = new FakeClock(0);
    const client = new OperationsClient({
      address: proxy.address,
      credentials: grpc.credentials.createInsecure(),
      clock,
      ...options,
    });
    const ops: FakeOperationHandle[] = [];
    const waits: Promise<unknown>[] = [];
    const start = (n: number): void => {
      for (let i = 0; i < n; i++) {
        const h = server.create();
        ops.push(h);
        waits.push(client.operation(h.name).wait());
      }
    };
    const finishAll = async (): Promise<void> => {
      for (const h of ops) h.succeed('google.protobuf.Empty', {});
      let settled = 0;
      for (const w of waits) void w.then(() => settled++);
      await eventually(() => settled === waits.length, 'every wait to resolve', clock);
    };
    const done = async (): Promise<void> => {
      client.close();
      await proxy.close();
      await Promise.allSettled(waits);
    };
    return { proxy, clock, client, start, finishAll, done, waits };
  }

  it('holds at most maxWaitCallsPerConnection waits per connection, opening connections as needed up to maxWaitCalls', async () => {
    const t = await setUp({ maxWaitCalls: 7, maxWaitCallsPerConnection: 3 });
    try {
      t.start(2);
      await eventually(() => server.openWaits === 2, '2 held waits');
      assert.deepEqual(heldPerConnection(server), [2]);
      t.start(8);
      await eventually(() => server.openWaits === 7, '7 held waits');
      assert.deepEqual(heldPerConnection(server), [3, 3, 1]);
      assert.equal(
        t.proxy.live.size,
        4,
        'three wait connections and the main one (starved waits poll on it)',
      );
      await t.finishAll();
    } finally {
      await t.done();
    }
  });

  it('keeps unary RPCs on the main connection while waits are held', async () => {
    const t = await setUp({ maxWaitCallsPerConnection: 2 });
    try {
      t.start(4);
      await eventually(() => server.openWaits === 4, '4 held waits');
      const first = server.create();
      await t.client.getOperation(first.name);
      const peer = server.lastPeers.GetOperation;
      assert.ok(peer !== undefined);
      assert.equal(
        server.openWaitsByPeer.has(peer),
        false,
        `GetOperation came over a wait connection (${peer})`,
      );
      assert.equal(server.openWaitsByPeer.size, 2);
      await t.finishAll();
    } finally {
      await t.done();
    }
  });

  it('closes a wait connection once no wait holds it', async () => {
    const t = await setUp({ maxWaitCallsPerConnection: 2 });
    try {
      t.start(5);
      await eventually(() => server.openWaits === 5, '5 held waits');
      assert.equal(t.proxy.live.size, 3);
      await t.finishAll();
      await eventually(() => t.proxy.live.size === 0, 'every wait connection to close');
      // A later wait opens a connection again.
      t.start(1);
      await eventually(() => server.openWaits === 1, 'a new held wait');
      assert.equal(t.proxy.live.size, 1);
      await t.finishAll();
    } finally {
      await t.done();
    }
  });

  /**
   * How a connection drops: closed (FIN; grpc-js ends its calls with CANCELLED or
   * UNAVAILABLE "Connection dropped"), or reset (RST, as a middlebox or a crashed peer
   * does; grpc-js may end them with UNAVAILABLE "read ECONNRESET" instead).
   */
  const drops = {
    closed: (socket: Socket) => socket.destroy(),
    reset: (socket: Socket) => socket.resetAndDestroy(),
  } as const;
  for (const [how, drop] of Object.entries(drops)) {
    it(`answers the waits of a connection that is ${how} from the main connection, then holds them on a new one`, async () => {
      const t = await setUp({ maxWaitCallsPerConnection: 3 });
      try {
        t.start(6);
        await eventually(() => server.openWaits === 6, '6 held waits');
        const [dropped] = [...server.openWaitsByPeer.keys()];
        assert.ok(dropped !== undefined);
        const port = Number(dropped.split(':').pop());
        const pair = [...t.proxy.live].find((p) => p.outbound.localPort === port);
        assert.ok(pair !== undefined, 'the proxy pair of the dropped connection');
        const failed: unknown[] = [];
        for (const w of t.waits) w.catch((e: unknown) => failed.push(e));
        server.resetCounters();
        // The client's side is dropped first, so what the client sees is `how`.
        drop(pair.inbound);
        pair.outbound.destroy();
        // The three waits fall back to one GetOperation each at once (no retry sleep on the
        // FakeClock first), then wait again after a backoff sleep.
        await eventually(() => server.calls.GetOperation === 3, 'three fallback GetOperation calls');
        assert.equal(server.calls.WaitOperation, 0, 'a wait retried before falling back');
        await eventually(() => server.openWaits === 6, 'the waits held again', t.clock);
        assert.equal(server.openWaitsByPeer.has(dropped), false, 'held again on the dropped connection');
        assert.deepEqual(heldPerConnection(server), [3, 3]);
        await t.finishAll();
        assert.deepEqual(failed, []);
      } finally {
        await t.done();
      }
    });
  }

  it('against a server answering every wait with CANCELLED, opens a wait connection only per reconnect delay (≤ 10 in a minute) and answers the waits by GetOperation meanwhile', async () => {
    const t = await setUp({});
    server.faultRate({ method: 'WaitOperation', code: grpc.status.CANCELLED, rate: 1, seed: 7 });
    try {
      t.start(20);
      await eventually(() => server.calls.GetOperation >= 20, 'every wait answered by GetOperation');
      // A minute of the client's clock (bounded: 400 sleeps), the RPCs of each step on loopback.
      for (let i = 0; i < 400 && t.clock.now() < 60_000; i++) {
        await t.clock.untilSleeping().catch(() => 0);
        await new Promise((r) => setTimeout(r, 2));
        if (t.clock.nextDueAt() !== undefined) await t.clock.advanceToNext();
      }
      assert.ok(t.clock.now() >= 60_000, `the clock reached ${t.clock.now()}`);
      const waitConnections = t.proxy.accepted() - 1; // all but the main one
      assert.ok(
        waitConnections >= 2 && waitConnections <= 10,
        `${waitConnections} wait connections in a minute (1 s, 1.6 s, 2.56 s … apart, ±20 %)`,
      );
      assert.ok(server.calls.GetOperation > server.calls.WaitOperation, JSON.stringify(server.calls));
    } finally {
      server.faultRate({ method: 'WaitOperation', code: grpc.status.CANCELLED, rate: 0, seed: 7 });
    }
    await t.finishAll();
    await t.done();
  });

  it('close() ends every held wait and closes every wait connection', async () => {
    const t = await setUp({ maxWaitCallsPerConnection: 2 });
    t.start(5);
    await eventually(() => server.openWaits === 5, '5 held waits');
    assert.equal(t.proxy.live.size, 3);
    t.client.close();
    const results = await Promise.allSettled(t.waits);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok(
        RpcError.is(r.reason) && /is closed/.test(r.reason.message),
        String(r.status === 'rejected' && r.reason),
      );
    }
    await eventually(() => t.proxy.live.size === 0 && server.openWaits === 0, 'connections and calls to end');
    await t.done();
  });

  it('rejects a maxWaitCallsPerConnection that is not a whole number >= 1, naming it', () => {
    for (const bad of [0, 1.5, -3]) {
      assert.throws(
        () => new OperationsClient({ address: server.address, maxWaitCallsPerConnection: bad }),
        (e) =>
          e instanceof RangeError &&
          e.message.startsWith(`maxWaitCallsPerConnection must be a whole number from 1 to`) &&
          e.message.endsWith(`(got ${bad})`),
      );
    }
    // What a JavaScript caller could pass.
    const options: Record<string, unknown> = { address: server.address, maxWaitCallsPerConnection: '9' };
    assert.throws(
      () => new OperationsClient(options),
      (e) => e instanceof TypeError && /maxWaitCallsPerConnection must be a whole number/.test(e.message),
    );
  });
});

describe('waits on a channel the caller shares', () => {
  it('stay on that channel, at most 64 open', async () => {
    const server = await FakeOperationsServer.start();
    const owner = new grpc.Client(server.address, grpc.credentials.createInsecure());
    const client = new OperationsClient({ channel: owner.getChannel(), clock: new FakeClock(0) });
    const ops = Array.from({ length: 70 }, () => server.create());
    const waits = ops.map((h) => client.operation(h.name).wait());
    try {
      await eventually(() => server.openWaits === 64, '64 held waits');
      assert.deepEqual(heldPerConnection(server), [64]);
      for (const h of ops) h.succeed('google.protobuf.Empty', {});
      await Promise.all(waits);
    } finally {
      client.close();
      owner.close();
      await server.stop();
    }
  });
});

/** A lease of `pool`, which must give one. */
async function leased(pool: WaitConnections): Promise<WaitLease> {
  const lease = await pool.lease();
  assert.ok(lease !== undefined, 'a place on a wait connection');
  return lease;
}

describe('WaitConnections', () => {
  it('fills the oldest connection with room first, and takes no new wait on a retired one', async () => {
    const server = await FakeOperationsServer.start();
    const pool = new WaitConnections({
      target: server.address,
      credentials: grpc.credentials.createInsecure(),
      perConnection: 2,
    });
    const a = await leased(pool);
    const b = await leased(pool);
    const c = await leased(pool);
    assert.deepEqual(pool.held, [2, 1]);
    assert.equal(a.client, b.client);
    assert.notEqual(a.client, c.client);
    a.release();
    a.release(); // idempotent
    assert.deepEqual(pool.held, [1, 1]);
    b.answered();
    b.retire();
    const d = await leased(pool);
    assert.equal(d.client, c.client, 'the retired connection takes no new wait');
    assert.equal(pool.opened, 2);
    pool.close();
    assert.equal(pool.size, 0);
    await assert.rejects(pool.lease(), /Channel has been shut down/);
    assert.equal(DEFAULT_MAX_WAIT_CALLS_PER_CONNECTION, 90);
    await server.stop();
  });
});

describe('WaitConnections reconnect pacing (on the injected clock)', () => {
  let server: FakeOperationsServer;
  const pools: WaitConnections[] = [];
  before(async () => {
    server = await FakeOperationsServer.start();
  });
  after(async () => {
    for (const pool of pools) pool.close();
    await server.stop();
  });

  /** A pool to the fake server on a FakeClock, drawing jitter from `random` (0.5: none). */
  function pacedPool(
    options: {
      perConnection?: number;
      random?: () => number;
      target?: string;
      credentials?: grpc.ChannelCredentials;
    } = {},
  ): {
    pool: WaitConnections;
    clock: FakeClock;
  } {
    const clock = new FakeClock(0);
    const pool = new WaitConnections({
      target: options.target ?? server.address,
      credentials: options.credentials ?? grpc.credentials.createInsecure(),
      perConnection: options.perConnection ?? 2,
      clock,
      random: options.random ?? (() => 0.5),
    });
    pools.push(pool);
    return { pool, clock };
  }

  /**
   * Runs `fn` with a pool of one wait per connection against a server that accepts and never
   * answers; closes both after. Over TLS, so its connections never get READY in any grpc-js
   * of the peer range (the handshake never completes; over plaintext, grpc-js 1.10 reports
   * READY once the TCP connection is up, before the server has said anything).
   */
  async function withSilentPool(fn: (pool: WaitConnections) => Promise<void>): Promise<void> {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const bound = silent.address();
    assert.ok(bound !== null && typeof bound === 'object');
    const { pool } = pacedPool({
      perConnection: 1,
      target: `127.0.0.1:${bound.port}`,
      credentials: grpc.credentials.createSsl(),
    });
    try {
      await fn(pool);
    } finally {
      pool.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }

  /** Drops the connection of a fresh lease before the server answered on it: one failed attempt. */
  async function failOnce(pool: WaitConnections): Promise<void> {
    const lease = await leased(pool);
    lease.retire();
    lease.release();
  }

  it('opens no connection for exactly 1000, 1600, 2560, 4096 … 120,000 ms after each failed one, giving no place meanwhile', async () => {
    const { pool, clock } = pacedPool();
    const delays: number[] = [];
    for (let n = 0; n < 14; n++) {
      const openedBefore = pool.opened;
      const at = clock.now();
      await failOnce(pool);
      assert.equal(pool.opened, openedBefore + 1, `attempt ${n} opened one connection`);
      const due = pool.reconnectAt;
      assert.ok(due !== undefined, `attempt ${n}: a reconnect delay`);
      delays.push(due - at);
      await clock.advance(due - at - 1);
      assert.equal(await pool.lease(), undefined, `attempt ${n}: a place 1 ms before the delay ended`);
      assert.equal(pool.opened, openedBefore + 1, 'nothing opened during the delay');
      await clock.advance(1);
    }
    assert.deepEqual(
      delays.map((d) => Math.round(d * 1e6) / 1e6), // the float error of 1.6 ** n
      [
        1000, 1600, 2560, 4096, 6553.6, 10485.76, 16777.216, 26843.5456, 42949.67296, 68719.476736,
        109951.162778,
      ].concat([120_000, 120_000, 120_000]),
    );
  });

  it('starts over at 1000 ms once the server answered a wait on a connection', async () => {
    const { pool, clock } = pacedPool();
    for (let n = 0; n < 3; n++) {
      await failOnce(pool);
      await clock.advance((pool.reconnectAt ?? 0) - clock.now());
    }
    const working = await leased(pool);
    working.answered();
    working.retire(); // it worked, then dropped: no failed attempt
    working.release();
    assert.equal(pool.reconnectAt, undefined);
    const at = clock.now();
    await failOnce(pool);
    assert.equal((pool.reconnectAt ?? 0) - at, 1000);
  });

  it('after a failed attempt, opens one connection at a time until the server answers on it; waits beyond its room get no place', async () => {
    const { pool, clock } = pacedPool({ perConnection: 2 });
    await failOnce(pool);
    await clock.advance(1000);
    const a = await leased(pool);
    const b = await leased(pool);
    assert.equal(a.client, b.client, 'one probe connection');
    assert.equal(await pool.lease(), undefined, 'no second connection while the probe is unanswered');
    assert.equal(pool.opened, 2);
    a.answered();
    const c = await leased(pool);
    assert.notEqual(c.client, a.client, 'answered: a new connection opens at once');
    assert.equal(pool.opened, 3);
    for (const lease of [a, b, c]) lease.release();
  });

  it('replaces at once a connection that drops after the server answered on it', async () => {
    const { pool } = pacedPool();
    const lease = await leased(pool);
    lease.answered();
    lease.retire();
    lease.release();
    assert.equal(pool.reconnectAt, undefined);
    const next = await leased(pool);
    assert.notEqual(next.client, lease.client);
    next.release();
  });

  it('counts connections opened before a failure was counted as that one failure when they drop too', async () => {
    const { pool, clock } = pacedPool({ perConnection: 1 });
    const leases = [await leased(pool), await leased(pool), await leased(pool)];
    assert.equal(pool.opened, 3);
    for (const lease of leases) {
      lease.retire();
      lease.release();
    }
    assert.equal(pool.reconnectAt, 1000, 'three drops of one reset of the server: one failure');
    await clock.advance(1000);
    await failOnce(pool);
    assert.equal(pool.reconnectAt, 1000 + 1600);
  });

  it('while a new connection connects, a wait that finds no room waits for it to be READY, then opens the next', async () => {
    const { pool } = pacedPool({ perConnection: 1 });
    const first = await leased(pool);
    const second = pool.lease();
    assert.equal(pool.opened, 1, 'the second connection waits for the first to connect');
    const lease = await second;
    assert.ok(lease !== undefined);
    assert.equal(pool.opened, 2);
    assert.notEqual(lease.client, first.client);
    assert.equal(first.client.getChannel().getConnectivityState(false), grpc.connectivityState.READY);
    first.release();
    lease.release();
  });

  it('counts a connection that cannot connect (reset on accept) as a failed attempt, and frees the waits waiting for it', async () => {
    const resets = createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => resets.listen(0, '127.0.0.1', resolve));
    const bound = resets.address();
    assert.ok(bound !== null && typeof bound === 'object');
    try {
      const { pool } = pacedPool({ perConnection: 1, target: `127.0.0.1:${bound.port}` });
      const first = await leased(pool);
      const waiting = await pool.lease();
      assert.equal(waiting, undefined, 'no place once the first failed to connect');
      assert.equal(pool.reconnectAt, 1000);
      assert.equal(pool.opened, 1);
      first.release();
    } finally {
      await new Promise<void>((resolve) => resets.close(() => resolve()));
    }
  });

  it('rejects a lease waiting for a connection with the reason of its aborted signal', async () => {
    await withSilentPool(async (pool) => {
      const first = await leased(pool);
      const controller = new AbortController();
      const waiting = pool.lease(controller.signal);
      const reason = new Error('gave up');
      controller.abort(reason);
      await assert.rejects(waiting, (e: unknown) => e === reason);
      first.release();
    });
  });

  it('gives no place (undefined) to a lease that waited maxWaitMs for a connection that never gets READY', async () => {
    await withSilentPool(async (pool) => {
      const first = await leased(pool);
      assert.equal(pool.leaseNow(), null, 'a wait finding no room while the connection connects would queue');
      assert.equal(await pool.lease(undefined, 20), undefined);
      first.release();
    });
  });
});
