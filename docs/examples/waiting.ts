/**
 * The Waiting guide's examples, run in CI against the fake server on loopback. The export
 * job takes about a second; polling is scaled down to match.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient, TimeoutError } from 'longrunning';
import { FakeOperationsServer } from 'longrunning/testing';

type ExportResult = { uri: string; rowCount: string };
type ExportMetadata = { progressPercent: number; rowsProcessed: string; state: string };

const server = await FakeOperationsServer.start();
const job = () =>
  server.simulate({
    durationMs: 1000,
    steps: 4,
    metadataType: 'longrunning.demo.v1.ExportMetadata',
    responseType: 'longrunning.demo.v1.ExportResult',
    response: { uri: 'export://orders', rowCount: '1000' },
  });

// #region client
const client = new OperationsClient({
  address: server.address, // 'host:port' of any google.longrunning.Operations service
  credentials: grpc.credentials.createInsecure(),
  polling: { initialDelayMs: 100, maxDelayMs: 400 }, // defaults: 1 s × 1.5ⁿ up to 60 s, ±20% jitter
});
// #endregion

{
  const name = job().name;
  // #region wait
  const op = client.operation<ExportResult, ExportMetadata>(name, {
    responseType: 'longrunning.demo.v1.ExportResult',
    metadataType: 'longrunning.demo.v1.ExportMetadata',
  });
  const result = await op.wait({
    timeoutMs: 10 * 60_000, // TimeoutError after a final poll at the deadline
    signal: AbortSignal.timeout(60 * 60_000), // rejects with the signal's reason
    onProgress: (o) => console.log(`${o.progress}%`), // per observed change of metadata or done
  });
  console.log(result.uri, result.rowCount); // export://orders 1000 (rowCount, an int64, is the string '1000')
  // #endregion
  assert.equal(result.uri, 'export://orders');
  assert.equal(result.rowCount, '1000');
}

{
  const name = job().name;
  // #region watch
  for await (const snapshot of client.operation<ExportResult, ExportMetadata>(name).watch()) {
    console.log(snapshot.done ? 'done' : `${snapshot.progress}% (${snapshot.metadata?.progressPercent})`);
    if (snapshot.done && snapshot.error !== undefined) throw snapshot.error;
  }
  // #endregion
}

{
  const name = job().name;
  // #region strategies
  const op = client.operation(name);
  await op.wait({ strategy: 'poll' }); // GetOperation only, on the backoff schedule
  await op.wait({ strategy: 'wait' }); // WaitOperation only (done already: no RPC at all)
  // #endregion
}

{
  const name = job().name;
  // #region timeout
  try {
    await client.operation(name).wait({ timeoutMs: 200 });
  } catch (e) {
    if (!TimeoutError.is(e)) throw e;
    console.log(e.message); // operation operations/… not done after timeoutMs 200 (… polls, …)
    console.log(e.polls, e.lastSnapshot?.done); // the server operation goes on
  }
  // #endregion
}

{
  const name = job().name;
  // #region abort
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(client.operation(name).wait({ signal: controller.signal }), { name: 'AbortError' });
  // with cancelOnAbort: true, aborting also sends CancelOperation
  // #endregion
}

{
  const name = job().name;
  // #region resume
  const token = client
    .operation<ExportResult>(name, { responseType: 'longrunning.demo.v1.ExportResult' })
    .serialize();
  // … store the token, exit; later, in another process:
  const again = client.resume<ExportResult>(token);
  console.log((await again.wait()).uri);
  // #endregion
}

client.close();
await server.stop();
