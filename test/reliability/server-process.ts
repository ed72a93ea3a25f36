/**
 * A FakeOperationsServer in a process of its own, so that a test process holds only the
 * client's resources (sockets, timers, heap) and measures those alone.
 *
 *   node --import tsx test/reliability/server-process.ts <operations> <prefix>
 *
 * Creates running operations `<prefix>-0` .. `<prefix>-(n-1)` and `<prefix>-shared`, prints
 * one JSON line `{ "address": "127.0.0.1:PORT" }`, and serves until stdin closes.
 */
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';

const count = Number(process.argv[2] ?? 0);
const prefix = process.argv[3] ?? 'operations/op';
const server = await FakeOperationsServer.start();
for (let i = 0; i < count; i++) server.create({ name: `${prefix}-${i}` });
server.create({ name: `${prefix}-shared` });
process.stdout.write(`${JSON.stringify({ address: server.address })}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void server.stop().then(() => process.exit(0));
});
