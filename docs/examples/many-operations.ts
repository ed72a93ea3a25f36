/**
 * The "Waiting on many operations" guide's examples, run in CI against the fake server on
 * loopback: a batch of operations under one parent, on a server without WaitOperation whose
 * operation reads are metered, as most public Google APIs are. Time is scaled down: jobs of
 * about a second, polls from 100 ms.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from 'longrunning';
import { FakeOperationsServer } from 'longrunning/testing';

type ExportResult = { uri: string; rowCount: string };

// #region quota
// A fake API without WaitOperation that refuses operation reads past 50 a second with
// RESOURCE_EXHAUSTED and RetryInfo, as Google's APIs answer (`lro serve --quota 50` does the same).
const server = await FakeOperationsServer.start({ supportsWait: false, quota: { perSecond: 50 } });
// #endregion

/** Starts `n` export jobs of 0.5–1.5 s under `parent`. */
function startJobs(parent: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    server.simulate({
      name: `${parent}/operations/export-${i}`,
      durationMs: 500 + ((i * 37) % 1000),
      steps: 4,
      metadataType: 'longrunning.demo.v1.ExportMetadata',
      responseType: 'longrunning.demo.v1.ExportResult',
      response: { uri: `export://table-${i}`, rowCount: String(i) },
    }),
  ).map((job) => job.name);
}

{
  const names = startJobs('projects/acme/locations/us', 100);
  // #region batch
  const client = new OperationsClient({
    address: server.address,
    credentials: grpc.credentials.createInsecure(),
    polling: { initialDelayMs: 100 }, // scaled down for the example; the default is 1 s
  });
  const types = { responseType: 'longrunning.demo.v1.ExportResult' };
  const outcomes = await Promise.allSettled(
    names.map((name) => client.operation<ExportResult>(name, types).wait()),
  );
  const failed = outcomes.filter((o) => o.status === 'rejected');
  console.log(`${outcomes.length - failed.length} done, ${failed.length} failed`); // 100 done, 0 failed
  console.log(server.calls.ListOperations, server.calls.GetOperation, server.rejected); // e.g. 14 108 8: a listing a tick, a GetOperation per result
  client.close();
  // #endregion
  assert.equal(failed.length, 0);
  assert.ok(server.calls.GetOperation <= 120, `${server.calls.GetOperation} GetOperation calls`);
  assert.ok(server.calls.ListOperations >= 1, 'the waits were reaped');
}

{
  server.resetCounters();
  server.quota = { perSecond: 50 }; // a full bucket, as after a quiet spell
  const names = startJobs('projects/acme/locations/eu', 20);
  // #region budget
  const client = new OperationsClient({
    address: server.address,
    credentials: grpc.credentials.createInsecure(),
    polling: { initialDelayMs: 100 },
    // The quota is known: 50 reads a second for the project, shared by 2 processes.
    pollBudget: { perSecond: 25 },
    listPolling: false, // each wait polls GetOperation itself (to show the budget alone)
  });
  await Promise.all(names.map((name) => client.operation(name).wait()));
  console.log(server.rejected); // 0: the waits kept within the budget
  client.close();
  // #endregion
  assert.equal(server.rejected, 0);
}

{
  server.resetCounters();
  const names = startJobs('projects/acme/locations/asia', 12);
  // #region reaping
  const client = new OperationsClient({
    address: server.address,
    credentials: grpc.credentials.createInsecure(),
    polling: { initialDelayMs: 100 },
    listPolling: {
      // Where an operation's parent collection is; the default takes the part before
      // '/operations/' ('projects/acme/locations/asia' here) and 'operations' for 'operations/123'.
      parentOf: (name) => name.slice(0, name.lastIndexOf('/operations/')) || undefined,
      minWaits: 8, // from 8 polling waits of one parent on, one listing a tick serves them all
      pageSize: 1000, // asked of the server per page (it may cap it lower)
      maxPages: 10, // a running set of more pages switches reaping off for the parent
    },
  });
  await Promise.all(names.map((name) => client.operation(name).wait()));
  console.log(client.listReapingOff); // Map(0) {}: reaping worked for every parent
  client.close();
  // #endregion
  assert.equal(client.listReapingOff.size, 0);
  assert.ok(server.calls.ListOperations >= 1);
}

{
  // #region never-reached
  const client = new OperationsClient({
    address: '127.0.0.1:9', // nothing listens there
    credentials: grpc.credentials.createInsecure(),
    polling: { connectBudgetMs: 2000 }, // default 20 s
  });
  const error = await client
    .operation('operations/x')
    .wait()
    .catch((e: unknown) => e);
  console.log(String(error)); // RpcError: UNAVAILABLE: … (GetOperation); no answer from the server in 2 s (connectBudgetMs); nothing accepts connections at that address: …
  client.close();
  // #endregion
  assert.match(String(error), /connectBudgetMs/);
}

await server.stop();
