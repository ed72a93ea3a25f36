/**
 * The Testing guide's examples: node:test tests of code that waits on operations, against
 * the fake server (a real grpc-js server on 127.0.0.1) and with a fake clock. Run in CI.
 */
// #region server
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Code, OperationError, OperationsClient } from 'longrunning';
import { FakeClock, FakeOperationsServer } from 'longrunning/testing';

let server: FakeOperationsServer;
before(async () => {
  server = await FakeOperationsServer.start(); // { supportsWait: false } to test polling only
});
after(() => server.stop());

function clientFor(options: { clock?: FakeClock } = {}): OperationsClient {
  return new OperationsClient({
    address: server.address,
    credentials: grpc.credentials.createInsecure(),
    ...options,
  });
}

test('the export result is read once the operation succeeds', async () => {
  const client = clientFor();
  const h = server.create({
    metadataType: 'longrunning.demo.v1.ExportMetadata',
    metadata: { progressPercent: 50 },
  });
  const waiting = client.operation(h.name).wait();
  h.succeed('longrunning.demo.v1.ExportResult', { uri: 'export://t1', rowCount: '3' });
  assert.deepEqual(await waiting, { uri: 'export://t1', rowCount: '3' });
  client.close();
});

test('a failed operation rejects with its code', async () => {
  const client = clientFor();
  const h = server.create();
  h.fail({ code: Code.PERMISSION_DENIED, message: 'no access to t1' });
  await assert.rejects(client.operation(h.name).wait(), (e) => OperationError.is(e) && e.code === 7);
  client.close();
});
// #endregion

// #region clock
test('polls back off 1 s, 1.5 s, 2.25 s (no wall-clock waiting)', async () => {
  const clock = new FakeClock(0);
  const client = clientFor({ clock });
  const h = server.create();
  const waiting = client.operation(h.name).wait({ strategy: 'poll', polling: { jitter: 0 } });
  for (let i = 0; i < 3; i++) {
    await clock.untilSleeping(); // the loop made its poll and sleeps now
    await clock.advanceToNext(); // fire that sleep at once
  }
  await clock.untilSleeping();
  h.succeed('longrunning.demo.v1.ExportResult', { uri: 'export://t1', rowCount: '3' });
  await clock.advanceToNext();
  await waiting;
  assert.deepEqual(clock.sleeps, [1000, 1500, 2250, 3375]);
  client.close();
});
// #endregion

// #region faults
test('polling survives two UNAVAILABLE answers', async () => {
  const client = clientFor();
  const h = server.create();
  server.inject({ method: 'GetOperation', code: Code.UNAVAILABLE, times: 2 });
  server.latencyMs = 5; // added to every RPC
  const before = server.calls.GetOperation;
  const waiting = client.operation(h.name).wait({ strategy: 'poll', polling: { initialDelayMs: 10 } });
  h.succeed('longrunning.demo.v1.ExportResult', { uri: 'export://t1', rowCount: '3' });
  await waiting;
  assert.ok(server.calls.GetOperation - before >= 3);
  server.latencyMs = 0;
  client.close();
});
// #endregion
