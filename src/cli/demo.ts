/**
 * `lro demo`: an embedded fake Operations server runs a simulated export job through the
 * demo Exporter service; the job is started through a wrapped grpc-js method (as a GAPIC
 * client would), followed with a progress bar, and its typed result printed.
 */
import * as grpc from '@grpc/grpc-js';
import { operationTypesFromMethod } from '../client/gapic.js';
import { OperationsClient } from '../client/grpc-client.js';
import type { ExportMetadata__Output } from '../generated/longrunning/demo/v1/ExportMetadata.js';
import type { ExportResult__Output } from '../generated/longrunning/demo/v1/ExportResult.js';
import type { StartExportRequest } from '../generated/longrunning/demo/v1/StartExportRequest.js';
import { builtinRoot, serviceDefinition } from '../proto/builtin.js';
import { FakeOperationsServer } from '../testing/fake-server.js';
import { OperationError } from '../wire/errors.js';
import { follow, waitAndReport } from './commands.js';
import { parseDuration } from './duration.js';
import { escapeControls } from './escape.js';
import { EXIT, UsageError } from './exit.js';
import { toJson } from './format.js';
import { type Io, processIo } from './io.js';

export interface DemoFlags {
  fail?: boolean;
  duration?: string;
  rows?: string;
  source?: string;
  json?: boolean;
}

export async function demoCommand(flags: DemoFlags, io: Io = processIo): Promise<number> {
  const durationMs = parseDuration(flags.duration ?? '5s', '--duration');
  const rows = flags.rows ?? '1000000';
  if (!/^\d+$/.test(rows))
    throw new UsageError(`--rows: expected a whole number (got ${JSON.stringify(rows)})`);
  const source = flags.source ?? 'warehouse.orders';

  const server = await FakeOperationsServer.start();
  const insecure = grpc.credentials.createInsecure();
  const client = new OperationsClient({ address: server.address, credentials: insecure });
  const Exporter = grpc.makeGenericClientConstructor(
    serviceDefinition(builtinRoot().lookupService('longrunning.demo.v1.Exporter')),
    'Exporter',
  );
  const exporter = new Exporter(server.address, insecure);
  try {
    io.err.write(`fake Operations server listening on ${server.address}\n`);
    const startExport = exporter.startExport?.bind(exporter);
    if (startExport === undefined)
      throw new Error('Exporter.startExport missing from the service definition');
    const types = operationTypesFromMethod(client.registry, 'longrunning.demo.v1.Exporter.StartExport');
    const start = client.wrap<StartExportRequest, ExportResult__Output, ExportMetadata__Output>(
      startExport,
      types,
    );
    const op = await start({ source, rows, durationMs, fail: flags.fail === true });
    io.err.write(`StartExport(source: ${source}, rows: ${rows}) started ${escapeControls(op.name)}\n`);
    io.err.write(`  response type ${types.responseType}, metadata type ${types.metadataType}\n`);
    // Progress refreshes every 250 ms; completion is still noticed at once through WaitOperation.
    const waitFlags = { interval: '250ms' };
    if (flags.json === true) return await waitAndReport(op, { ...waitFlags, json: true }, io);
    try {
      await follow(op, waitFlags, io);
    } catch (error) {
      if (!OperationError.is(error)) throw error;
      io.out.write(`\nExport failed: ${escapeControls(error.message)}\n`);
      for (const d of error.details) io.out.write(`  ${escapeControls(d.typeName)}: ${toJson(d.value)}\n`);
      return EXIT.FAILED;
    }
    const result = op.response;
    if (result === undefined) throw new Error(`operation ${op.name} finished without a response`);
    io.out.write(`\nExport finished (${types.responseType}):\n`);
    // rowCount is an int64: it arrives as a decimal string (quoted, so it reads as one).
    io.out.write(
      `  uri:      ${escapeControls(result.uri)}
  rowCount: ${JSON.stringify(result.rowCount)}  (int64: a decimal string)
`,
    );
    return EXIT.OK;
  } finally {
    exporter.close();
    client.close();
    await server.stop();
  }
}
