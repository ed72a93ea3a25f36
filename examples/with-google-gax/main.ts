/**
 * longrunning under a google-gax client: the Exporter's StartExport built the way a
 * generated GAPIC client builds an LRO method (gax stub, LongrunningDescriptor,
 * createApiCall), then handed to longrunning, both ways: `wrap()` on the gax method, and
 * `operation()` on the gax Operation it resolved. Waits use WaitOperation; abort, cancel
 * and the typed errors (details kept) follow. Run by `npm run examples` against the fake
 * server; gax keeps its own grpc-js copy, so credentials come from `gax.grpc`.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import gax from 'google-gax';
import { OperationError, OperationsClient, operationTypesFromMethod, RpcError } from 'longrunning';
import { FakeOperationsServer } from 'longrunning/testing';
import { descriptor } from '../../src/generated/descriptor.js';
import type { ExportMetadata__Output as ExportMetadata } from '../../src/generated/longrunning/demo/v1/ExportMetadata.js';
import type { ExportResult__Output as ExportResult } from '../../src/generated/longrunning/demo/v1/ExportResult.js';

const PROTOS = join(import.meta.dirname, '../../protos');
const server = await FakeOperationsServer.start();
const [host = '', port = ''] = server.address.split(':');
const opts = {
  servicePath: host,
  port: Number(port),
  sslCreds: gax.grpc.credentials.createInsecure(), // gax's own grpc-js copy
  universeDomain: 'googleapis.com', // no metadata-server probe (with METADATA_SERVER_DETECTION=none)
};

// --- What a generated GAPIC client sets up for one LRO method. ---
const grpcClient = new gax.GrpcClient();
const protos = grpcClient.loadProto(PROTOS, 'longrunning/demo/v1/export.proto');
const stub = await grpcClient.createStub(serviceClient(protos, 'longrunning.demo.v1.Exporter'), opts);
// The client's protos.json (here: the descriptor scripts/generate.ts writes).
const root = gax.protobuf.Root.fromJSON(descriptor);
const decoder = (name: string) => {
  const type = root.lookupType(name);
  return type.decode.bind(type);
};
const gaxOperations = gax.lro({ universeDomain: opts.universeDomain }).operationsClient(opts);
const lroDescriptor = new gax.LongrunningDescriptor(
  gaxOperations,
  decoder('longrunning.demo.v1.ExportResult'),
  decoder('longrunning.demo.v1.ExportMetadata'),
);
const settings = grpcClient.constructSettings(
  'longrunning.demo.v1.Exporter',
  {
    interfaces: {
      'longrunning.demo.v1.Exporter': { retry_codes: {}, retry_params: {}, methods: { StartExport: {} } },
    },
  },
  {},
  {},
);
const rpc = stub.startExport;
if (rpc === undefined) throw new Error('the Exporter stub has no startExport');
const startExportCall = gax.createApiCall(
  Promise.resolve(rpc.bind(stub)),
  settings.startExport,
  lroDescriptor,
);
type Done = gax.Callback<unknown, unknown, unknown>;
/** The generated method: `(request, options?, callback?)`, a promise of `[operation, …]` without a callback. */
function startExport(request: object, options?: gax.CallOptions): Promise<[gax.Operation, unknown, unknown]>;
function startExport(request: object, options: gax.CallOptions, callback: Done): void;
function startExport(request: object, options?: gax.CallOptions, callback?: Done): unknown {
  return startExportCall(request, options, callback);
}

/** `protos.longrunning.demo.v1.Exporter`: a service constructor in what gax loaded. */
function serviceClient(loaded: gax.grpc.GrpcObject, path: string): typeof gax.ClientStub {
  const found = path
    .split('.')
    .reduce<unknown>((node, key) => (node instanceof Object ? Reflect.get(node, key) : undefined), loaded);
  if (typeof found !== 'function') throw new Error(`${path} is not a service`);
  return found as typeof gax.ClientStub;
}

// --- longrunning on the same channel. ---
const client = new OperationsClient({ channel: stub.getChannel() });
const types = operationTypesFromMethod(client.registry, 'longrunning.demo.v1.Exporter.StartExport');
try {
  // 1. wrap() the gax method: a typed handle; waiting holds WaitOperation calls.
  const start = client.wrap<object, ExportResult, ExportMetadata>(startExport, types);
  const op = await start({ source: 'gax.orders', rows: 500, durationMs: 300 }, { timeoutMs: 10_000 });
  const result = await op.wait({ strategy: 'wait' });
  console.log(`wrap: ${op.name} -> ${result.uri} (${result.rowCount} rows)`);
  assert.deepEqual(result, { uri: 'export://gax.orders', rowCount: '500' });
  assert.ok(server.calls.WaitOperation >= 1);

  // 2. operation() on what the gax method resolved (its Operation object); abort a wait, then cancel.
  const [gaxOperation] = await startExport({ source: 'gax.slow', rows: 1, durationMs: 60_000 });
  const slow = client.operation<ExportResult, ExportMetadata>(gaxOperation, types);
  assert.equal(client.operation(gaxOperation.latestResponse, types).name, slow.name); // its raw snapshot works too
  const aborted = await slow.wait({ signal: AbortSignal.timeout(200) }).catch((e: unknown) => e);
  console.log(`operation: ${slow.name} wait aborted (${aborted instanceof Error ? aborted.name : aborted})`);
  assert.ok(aborted instanceof DOMException && aborted.name === 'TimeoutError');
  await slow.cancel();
  assert.equal((await slow.poll()).cancelled, true);

  // 3. Typed errors: the operation's own (google.rpc details kept), and a failed start call.
  const failing = await start({ source: 'gax.broken', rows: 1, durationMs: 50, fail: true });
  const failed = await failing.wait().catch((e: unknown) => e);
  assert.ok(OperationError.is(failed));
  console.log(`${failed.message}; details: ${failed.details.map((d) => d.typeName).join(', ')}`);
  assert.equal(failed.findDetails('google.rpc.ErrorInfo').length, 1);

  server.inject({ method: 'StartExport', code: gax.grpc.status.PERMISSION_DENIED, times: 1 });
  const denied = await start({ source: 'gax.denied' }).catch((e: unknown) => e);
  assert.ok(RpcError.is(denied));
  console.log(`start call failed: ${denied.message}`);
  assert.equal(denied.codeName, 'PERMISSION_DENIED');
} finally {
  client.close();
  gaxOperations.close();
  stub.close();
  await server.stop();
}
