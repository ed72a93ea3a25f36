/** The README's example, run in CI: the region is the README's block; the checks after it are not shown. */
import assert from 'node:assert/strict';
// #region quick
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from 'longrunning';
import { FakeOperationsServer } from 'longrunning/testing';

type ExportResult = { uri: string; rowCount: string }; // as proto-loader-gen-types writes it

const server = await FakeOperationsServer.start(); // a real gRPC Operations server on 127.0.0.1
const job = server.simulate({
  durationMs: 500,
  metadataType: 'longrunning.demo.v1.ExportMetadata',
  responseType: 'longrunning.demo.v1.ExportResult',
  response: { uri: 'export://orders', rowCount: '1000' },
});

const credentials = grpc.credentials.createInsecure(); // the fake server speaks plaintext
const client = new OperationsClient({ address: server.address, credentials });
const op = client.operation<ExportResult>(job.name, { responseType: 'longrunning.demo.v1.ExportResult' });
const result = await op.wait({ timeoutMs: 60_000 }); // WaitOperation, or polls where the server lacks it
console.log(result.uri, result.rowCount); // export://orders 1000 (an int64: the string '1000')

client.close();
await server.stop();
// #endregion

assert.deepEqual(result, { uri: 'export://orders', rowCount: '1000' });
assert.equal(op.done, true);
