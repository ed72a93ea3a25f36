/**
 * Runs the GAPIC-style Exporter client against the fake server: start an export, watch
 * its progress, read the typed result, then a failing export and its typed error.
 * `npm run examples` runs it (CI too); the asserts are what the example promises.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { OperationError } from 'longrunning';
import { FakeOperationsServer } from 'longrunning/testing';
import { ExporterClient } from './exporter-client.ts';

const server = await FakeOperationsServer.start();
const exporter = new ExporterClient(server.address, grpc.credentials.createInsecure());
try {
  const op = await exporter.startExport({ source: 'warehouse.orders', rows: 1000, durationMs: 600 });
  for await (const snapshot of op.watch()) {
    console.log(`${snapshot.name}  ${snapshot.metadata?.state}  ${snapshot.progress}%`);
  }
  const result = await op.wait(); // done: no RPC, the typed ExportResult
  console.log(`exported to ${result.uri} (${result.rowCount} rows)`);
  assert.deepEqual(result, { uri: 'export://warehouse.orders', rowCount: '1000' });

  // A failed operation rejects with OperationError, its google.rpc details decoded.
  const failing = await exporter.startExport({ source: 'broken', rows: 1, durationMs: 100, fail: true });
  const error = await failing.wait().then(
    () => assert.fail('the export was asked to fail'),
    (e: unknown) => e,
  );
  assert.ok(OperationError.is(error));
  const [info] = error.findDetails<{ reason: string }>('google.rpc.ErrorInfo');
  console.log(`${error.message} (reason ${info?.reason})`);
  assert.equal(error.codeName, 'FAILED_PRECONDITION');
  assert.equal(info?.reason, 'EXPORT_FAILED');
} finally {
  exporter.close();
  await server.stop();
}
