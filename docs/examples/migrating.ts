/**
 * The Migrating guide's examples: the google-gax idioms' counterparts, run in CI against the
 * fake server's demo Exporter service on loopback.
 */
import * as grpc from '@grpc/grpc-js';
import { OperationsClient, operationTypesFromMethod } from 'longrunning';
import { FakeOperationsServer } from 'longrunning/testing';
import { builtinRoot, serviceDefinition } from 'longrunning/transport';

type ExportResult = { uri: string; rowCount: string };
type ExportMetadata = { progressPercent: number; rowsProcessed: string; state: string };

const server = await FakeOperationsServer.start();
const credentials = grpc.credentials.createInsecure();
// A grpc-js stub of the API's own service, as a GAPIC client has one.
const Exporter = grpc.makeGenericClientConstructor(
  serviceDefinition(builtinRoot().lookupService('longrunning.demo.v1.Exporter')),
  'Exporter',
);
const exporter = new Exporter(server.address, credentials);
const startExport = exporter.startExport?.bind(exporter);
if (startExport === undefined) throw new Error('no startExport');

// #region client
const client = new OperationsClient({
  channel: exporter.getChannel(), // share the API client's channel (a GAPIC client: getChannel())
  polling: { initialDelayMs: 100, multiplier: 1.5, maxDelayMs: 1000 }, // gax: backoffSettings
});
// #endregion

// #region promise
const start = client.wrap<object, ExportResult, ExportMetadata>(
  startExport,
  operationTypesFromMethod(client.registry, 'longrunning.demo.v1.Exporter.StartExport'),
);
const op = await start({ source: 'orders', rows: 1000, durationMs: 500 }); // gax: const [operation] = await …
const result = await op.wait(); // gax: const [response] = await operation.promise();
console.log(result.uri);
// #endregion

// #region progress
const job = await start({ source: 'orders', rows: 1000, durationMs: 500 });
for await (const snapshot of job.watch()) {
  // gax: operation.on('progress', (metadata) => …) and on('complete') / on('error')
  console.log(snapshot.progress, snapshot.metadata?.state);
}
// #endregion

// #region check-progress
// gax: const operation = await client.checkStartExportProgress(name);
const checked = await client.operation<ExportResult, ExportMetadata>(job.name).poll();
console.log(checked.done, checked.metadata?.rowsProcessed, checked.response?.rowCount);
// #endregion

client.close();
exporter.close();
await server.stop();
