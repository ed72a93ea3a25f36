/**
 * Scenario 19 (issue 22, point 4): a client that owns its channel holds its waits on
 * connections of its own. Against a server that resets every TCP connection, and against
 * one that answers every WaitOperation with CANCELLED, those connections must be reopened
 * with grpc-js's backoff (1 s × 1.6, ±20 %, to 120 s), not at once: the figure is the TCP
 * connections the server accepts in one minute of real time, with 2,000 waits.
 */
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { describe } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { bounded, delay, insecure, settle } from './helpers.ts';
import { Scenario } from './report.ts';

const report = new Scenario(19, 'Wait connections against a resetting server');
const WAITS = 2000;
const MINUTE_MS = 60_000;

/** A loopback TCP server that counts the connections it accepts, handing each to `handle`. */
async function tcpServer(handle: (socket: Socket) => void): Promise<{
  address: string;
  accepted: number[];
  close(): Promise<void>;
}> {
  const accepted: number[] = [];
  const sockets = new Set<Socket>();
  const start = performance.now();
  const server: Server = createServer((socket) => {
    accepted.push(performance.now() - start);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket)).on('error', () => {});
    handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new Error('did not bind');
  return {
    address: `127.0.0.1:${bound.port}`,
    accepted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Connections accepted in each 10 s of the minute. */
function perTenSeconds(times: readonly number[]): string {
  return Array.from(
    { length: 6 },
    (_, i) => times.filter((t) => t >= i * 10_000 && t < (i + 1) * 10_000).length,
  ).join(', ');
}

describe('wait connections against a resetting server', () => {
  report.test(
    `${WAITS} held waits open at most 20 connections a minute against a server that resets every TCP connection, and against one answering WaitOperation with CANCELLED; no result is lost`,
    async () => {
      // A: every connection reset as it is accepted. B: the same with GetOperation polling
      // only (grpc-js's own reconnects of the main channel: the baseline). C: a fake server
      // behind a counting proxy, answering every WaitOperation with CANCELLED.
      const resetting = await tcpServer((socket) => socket.resetAndDestroy());
      const baseline = await tcpServer((socket) => socket.resetAndDestroy());
      const fake = await FakeOperationsServer.start();
      fake.faultRate({ method: 'WaitOperation', code: grpc.status.CANCELLED, rate: 1, seed: 22 });
      const [fakeHost, fakePort] = fake.address.split(':');
      const proxy = await tcpServer((inbound) => {
        const outbound = createConnection({ host: fakeHost, port: Number(fakePort) });
        const end = (): void => {
          inbound.destroy();
          outbound.destroy();
        };
        outbound.on('error', end).on('close', end);
        inbound.on('close', end);
        inbound.pipe(outbound);
        outbound.pipe(inbound);
      });
      // connectBudgetMs Infinity: the waits on the resetting servers go on for the whole
      // minute, as in a long outage, instead of failing at 20 s as never-reached waits do.
      const clients = [resetting, baseline, proxy].map(
        (server) =>
          new OperationsClient({
            address: server.address,
            credentials: insecure,
            polling: { connectBudgetMs: Number.POSITIVE_INFINITY },
          }),
      );
      const [onResetting, onBaseline, onCancelling] = clients;
      assert.ok(onResetting !== undefined && onBaseline !== undefined && onCancelling !== undefined);
      const handles = Array.from({ length: WAITS }, () => fake.create());
      const names = handles.map((h) => h.name);
      const started = performance.now();
      const waits = {
        resetting: names.map((_, i) => settle(onResetting.operation(`operations/storm-${i}`).wait())),
        baseline: names.map((_, i) =>
          settle(onBaseline.operation(`operations/storm-${i}`).wait({ strategy: 'poll' })),
        ),
        cancelling: names.map((name) => settle(onCancelling.operation(name).wait())),
      };
      let lost = 0;
      try {
        await delay(MINUTE_MS - (performance.now() - started));
        const figures = {
          resetting: [...resetting.accepted],
          baseline: [...baseline.accepted],
          cancelling: [...proxy.accepted],
        };
        const calls = { ...fake.calls };
        // Let C's operations finish: every wait there must end with its own result.
        fake.faultRate({ method: 'WaitOperation', code: grpc.status.CANCELLED, rate: 0, seed: 22 });
        for (const h of handles) h.succeed('google.protobuf.Empty', {});
        const done = await bounded(
          Promise.all(waits.cancelling),
          90_000,
          'the waits on the CANCELLED server',
        );
        lost += done.filter((r) => !r.ok).length;
        // A and B can never finish: closing their clients must end each wait with RpcError CANCELLED.
        onResetting.close();
        onBaseline.close();
        for (const outcomes of [waits.resetting, waits.baseline]) {
          const ended = await bounded(Promise.all(outcomes), 10_000, 'the waits of a closed client');
          lost += ended.filter(
            (r) => r.ok || !(r.error instanceof Error && /is closed/.test(r.error.message)),
          ).length;
        }
        report.input(
          `${WAITS} waits (strategy auto) on an OperationsClient that owns its channel (held waits on wait connections of their own, 90 each), for one minute of real time, against each server; as a baseline, ${WAITS} GetOperation-only waits (strategy poll) against a second resetting server`,
        );
        report.fault(
          'A TCP server that resets (RST) every connection as it accepts it; a fake server, behind a counting TCP proxy, answering every WaitOperation with CANCELLED (GetOperation works)',
        );
        report.table(
          ['server', 'connections in the minute', 'per 10 s', 'RPCs'],
          [
            [
              'resetting (auto: wait connections + main)',
              figures.resetting.length,
              perTenSeconds(figures.resetting),
              '-',
            ],
            [
              'resetting (poll: main connection only, grpc-js backoff)',
              figures.baseline.length,
              perTenSeconds(figures.baseline),
              '-',
            ],
            [
              'WaitOperation answered with CANCELLED',
              figures.cancelling.length,
              perTenSeconds(figures.cancelling),
              `${calls.WaitOperation} WaitOperation, ${calls.GetOperation} GetOperation`,
            ],
          ],
        );
        report.outcome(
          `Connections a minute against a resetting server: ${figures.resetting.length} (grpc-js alone, polling on the main connection: ${figures.baseline.length}); against a server answering WaitOperation with CANCELLED: ${figures.cancelling.length}. Waits meanwhile answered by GetOperation on the main connection; the ${WAITS} waits on the CANCELLED server all ended with their result once their operations were done`,
        );
        report.lost(lost);
        assert.ok(
          figures.resetting.length <= 20,
          `${figures.resetting.length} connections a minute (resetting)`,
        );
        assert.ok(
          figures.cancelling.length <= 20,
          `${figures.cancelling.length} connections a minute (CANCELLED)`,
        );
        assert.equal(lost, 0, 'results lost');
      } finally {
        for (const client of clients) client.close();
        await Promise.allSettled([...waits.resetting, ...waits.baseline, ...waits.cancelling]);
        await Promise.all([resetting.close(), baseline.close(), proxy.close(), fake.stop()]);
      }
    },
    { timeout: 240_000 },
  );
});
