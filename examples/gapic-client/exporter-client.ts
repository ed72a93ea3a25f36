/**
 * A small GAPIC-style client for the demo `longrunning.demo.v1.Exporter` service, the
 * pattern a client author follows: the service stub is built from its .proto with
 * proto-loader, the long-running method is handed to `longrunning` with the types its
 * `(google.longrunning.operation_info)` option declares and a polling schedule of its
 * own, and Operations calls share the stub's channel (one connection, as GAPIC clients do).
 *
 * The TypeScript types come from the API's .proto (the demo API's, in the package's
 * protos/ folder), generated as for any API, with the options the stub is loaded with
 * (`npm run examples` runs it first; generated/ is not committed):
 *
 *   npx proto-loader-gen-types --longs=String --enums=String --defaults --oneofs \
 *     --grpcLib=@grpc/grpc-js --importFileExtension=.js -I protos \
 *     --outDir=examples/gapic-client/generated longrunning/demo/v1/export.proto
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  type CallOptions,
  createRegistry,
  type Operation,
  OperationsClient,
  operationTypesFromMethod,
} from 'longrunning';
import type { ExporterClient as ExporterStub } from './generated/longrunning/demo/v1/Exporter.js';
import type { ExportMetadata__Output as ExportMetadata } from './generated/longrunning/demo/v1/ExportMetadata.js';
import type { ExportResult__Output as ExportResult } from './generated/longrunning/demo/v1/ExportResult.js';
import type { StartExportRequest } from './generated/longrunning/demo/v1/StartExportRequest.js';

const PROTOS = join(import.meta.dirname, '../../protos');
const EXPORT_PROTO = 'longrunning/demo/v1/export.proto';

/** The stub's methods come from the .proto at run time; this checks the one we call is there. */
function isExporterStub(client: grpc.Client): client is ExporterStub {
  return typeof Reflect.get(client, 'startExport') === 'function';
}

export class ExporterClient {
  /** The Operations service on the same channel: list, get, cancel, resume. */
  readonly operations: OperationsClient;
  readonly #stub: ExporterStub;
  readonly #startExport: (
    request: StartExportRequest,
    options?: CallOptions,
  ) => Promise<Operation<ExportResult, ExportMetadata>>;

  constructor(address: string, credentials: grpc.ChannelCredentials) {
    const definition = protoLoader.loadSync(EXPORT_PROTO, {
      includeDirs: [PROTOS],
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const service = definition['longrunning.demo.v1.Exporter'];
    if (service === undefined || 'format' in service) throw new Error('export.proto has no service Exporter');
    const Exporter = grpc.makeGenericClientConstructor(service, 'Exporter');
    const stub = new Exporter(address, credentials);
    if (!isExporterStub(stub)) throw new Error('export.proto has no Exporter.StartExport');
    this.#stub = stub;

    // #region wrap
    const registry = createRegistry().addProtoFiles([EXPORT_PROTO], { includeDirs: [PROTOS] });
    this.operations = new OperationsClient({ channel: stub.getChannel(), registry });
    this.#startExport = this.operations.wrap<StartExportRequest, ExportResult, ExportMetadata>(
      stub.startExport.bind(stub),
      {
        ...operationTypesFromMethod(registry, 'longrunning.demo.v1.Exporter.StartExport'),
        // This method's own schedule (a GAPIC service config gives each LRO method one);
        // a wait({ polling }) of the caller still wins.
        polling: { initialDelayMs: 100, multiplier: 1.5, maxDelayMs: 2000 },
      },
    );
    // #endregion
  }

  /** StartExport: resolves as soon as the server has started the job, with a typed handle. */
  startExport(
    request: StartExportRequest,
    options?: CallOptions,
  ): Promise<Operation<ExportResult, ExportMetadata>> {
    return this.#startExport(request, options);
  }

  close(): void {
    this.operations.close();
    this.#stub.close();
  }
}
