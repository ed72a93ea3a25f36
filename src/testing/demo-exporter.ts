/**
 * The simulated job behind the demo `longrunning.demo.v1.Exporter.StartExport` RPC.
 */

import type { StartExportRequest__Output } from '../generated/longrunning/demo/v1/StartExportRequest.js';
import type { Registry } from '../proto/registry.js';
import { Code } from '../wire/code.js';
import type { SimulateOptions } from './fake-operation.js';

/** How many metadata updates an export job makes. */
const EXPORT_STEPS = 10;

/** `rows` as a BigInt; an int64 decoded with `longs: String` always parses, anything else is 0. */
function parseRows(rows: string): bigint {
  try {
    return BigInt(rows);
  } catch {
    return 0n;
  }
}

/**
 * The job for one StartExport request: `ExportMetadata` { progressPercent, rowsProcessed
 * (rows × fraction, exact), state } over `durationMs` in 10 steps, state 'RUNNING' until
 * the last step, then 'DONE' (or 'FAILED' when the request asks to fail). It ends with
 * `ExportResult` { uri: 'export://<source>', rowCount: rows } or, when `fail`, with
 * FAILED_PRECONDITION 'export of <source> failed' and a google.rpc.ErrorInfo detail
 * { reason: 'EXPORT_FAILED', domain: 'longrunning.demo', metadata: { source } }.
 */
export function exportJob(request: StartExportRequest__Output, registry: Registry): SimulateOptions {
  const rows = parseRows(request.rows);
  const source = request.source;
  const job: SimulateOptions = {
    durationMs: Math.max(request.durationMs, 0),
    steps: EXPORT_STEPS,
    metadataType: 'longrunning.demo.v1.ExportMetadata',
    metadata: (fraction, step) => ({
      progressPercent: Math.round(100 * fraction),
      rowsProcessed: ((rows * BigInt(step)) / BigInt(EXPORT_STEPS)).toString(),
      state: step < EXPORT_STEPS ? 'RUNNING' : request.fail ? 'FAILED' : 'DONE',
    }),
    responseType: 'longrunning.demo.v1.ExportResult',
    response: { uri: `export://${source}`, rowCount: rows.toString() },
  };
  if (!request.fail) return job;
  return {
    ...job,
    fail: {
      code: Code.FAILED_PRECONDITION,
      message: `export of ${source} failed`,
      details: [
        registry.pack('google.rpc.ErrorInfo', {
          reason: 'EXPORT_FAILED',
          domain: 'longrunning.demo',
          metadata: { source },
        }),
      ],
    },
  };
}
