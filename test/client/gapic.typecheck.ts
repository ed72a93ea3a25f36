/**
 * Type-level tests, compiled by `npm run typecheck` and never run: every form a GAPIC
 * client author hands to `wrap()` and `operation()` type-checks without a cast. A line
 * that stops compiling is the failing test.
 */
import type * as grpc from '@grpc/grpc-js';
import type * as otherGrpc from 'grpc-js-other';
import type { Long } from 'protobufjs';
import type { OperationsClient } from '../../src/client/grpc-client.ts';
import type { Operation } from '../../src/client/operation.ts';
import type { Operation__Output } from '../../src/generated/google/longrunning/Operation.ts';
import type { ExporterClient } from '../../src/generated/longrunning/demo/v1/Exporter.ts';
import type { ExportMetadata__Output } from '../../src/generated/longrunning/demo/v1/ExportMetadata.ts';
import type { ExportResult__Output } from '../../src/generated/longrunning/demo/v1/ExportResult.ts';
import type {
  StartExportRequest,
  StartExportRequest__Output,
} from '../../src/generated/longrunning/demo/v1/StartExportRequest.ts';
import type { OperationJson } from '../../src/proto/json.ts';

/** What `pbjs -t static-module` + `pbts` emit for google.longrunning.Operation and its fields. */
declare namespace pbjs {
  interface IAny {
    type_url?: string | null;
    value?: Uint8Array | null;
  }
  interface IStatus {
    code?: number | null;
    message?: string | null;
    details?: IAny[] | null;
  }
  interface IOperation {
    name?: string | null;
    metadata?: IAny | null;
    done?: boolean | null;
    error?: IStatus | null;
    response?: IAny | null;
  }
  class Operation implements IOperation {
    name: string;
    metadata?: IAny | null;
    done: boolean;
    error?: IStatus | null;
    response?: IAny | null;
    result?: 'error' | 'response';
  }
  /** A Status whose code arrives as a Long (an int64 field decoded with `longs: Long`). */
  interface ILongStatus {
    code?: number | Long | string | null;
    message?: string | null;
  }
}

/** google-gax 5's `Operation` (longRunningCalls/longrunning.d.ts), as far as users touch it. */
declare class GaxOperation {
  latestResponse: pbjs.Operation;
  name?: string;
  done?: boolean;
  metadata: object | null;
  result: object | null;
  promise(): Promise<[unknown, unknown, pbjs.Operation]>;
}

/** A google-gax GAPIC LRO method (generated client), with its three overloads. */
interface GaxStyleClient {
  startExport(
    request?: StartExportRequest,
    options?: { timeout?: number; otherArgs?: { headers?: Record<string, string> } },
  ): Promise<[GaxOperation, pbjs.IOperation | undefined, object | undefined]>;
  startExport(
    request: StartExportRequest,
    options: { timeout?: number },
    callback: (err: Error | null, op?: GaxOperation) => void,
  ): void;
  startExport(request: StartExportRequest, callback: (err: Error | null, op?: GaxOperation) => void): void;
}

/** A grpc-js stub method of another grpc-js copy, as proto-loader-gen-types writes it. */
interface OtherCopyExporterClient extends otherGrpc.Client {
  startExport(
    argument: StartExportRequest,
    metadata: otherGrpc.Metadata,
    options: otherGrpc.CallOptions,
    callback: otherGrpc.requestCallback<Operation__Output>,
  ): otherGrpc.ClientUnaryCall;
  startExport(
    argument: StartExportRequest,
    callback: otherGrpc.requestCallback<Operation__Output>,
  ): otherGrpc.ClientUnaryCall;
}

type Handle = Operation<ExportResult__Output, ExportMetadata__Output>;
type Start = (request: StartExportRequest, options?: object) => Promise<Handle>;

export function operationInputs(
  client: OperationsClient,
  gax: GaxOperation,
  decoded: pbjs.Operation,
  plain: pbjs.IOperation,
  json: OperationJson,
  longStatus: pbjs.ILongStatus,
): Handle[] {
  const types = { responseType: 'longrunning.demo.v1.ExportResult' };
  return [
    client.operation<ExportResult__Output, ExportMetadata__Output>(gax.latestResponse, types),
    client.operation<ExportResult__Output, ExportMetadata__Output>(gax, types),
    client.operation<ExportResult__Output, ExportMetadata__Output>(decoded),
    client.operation<ExportResult__Output, ExportMetadata__Output>(plain),
    client.operation<ExportResult__Output, ExportMetadata__Output>(json),
    client.operation<ExportResult__Output, ExportMetadata__Output>({
      name: 'operations/x',
      error: longStatus,
    }),
    client.operation<ExportResult__Output, ExportMetadata__Output>('operations/x', {
      polling: { initialDelayMs: 500 },
    }),
  ];
}

export function startMethods(
  client: OperationsClient,
  stub: ExporterClient,
  other: OtherCopyExporterClient,
  gapic: GaxStyleClient,
): Start[] {
  return [
    // A typed grpc-js stub, bound, and its 2-argument callback form.
    client.wrap<StartExportRequest, ExportResult__Output, ExportMetadata__Output>(
      stub.startExport.bind(stub),
    ),
    client.wrap<StartExportRequest, ExportResult__Output, ExportMetadata__Output>((req, cb) =>
      stub.startExport(req, cb),
    ),
    // A stub of another grpc-js copy.
    client.wrap<StartExportRequest, ExportResult__Output, ExportMetadata__Output>(
      other.startExport.bind(other),
    ),
    // A google-gax GAPIC method, and promise functions returning any snapshot shape.
    client.wrap<StartExportRequest, ExportResult__Output, ExportMetadata__Output>(
      gapic.startExport.bind(gapic),
    ),
    client.wrap<StartExportRequest, ExportResult__Output, ExportMetadata__Output>(
      async (req: StartExportRequest): Promise<pbjs.IOperation> => ({ name: String(req.source) }),
    ),
  ];
}

/** A Metadata of another copy is accepted wherever headers are (per call and in callDefaults). */
export function foreignMetadata(client: OperationsClient, md: otherGrpc.Metadata, ours: grpc.Metadata): void {
  void client.getOperation('operations/x', { metadata: md });
  void client.getOperation('operations/x', { metadata: ours });
  void client.operation('operations/x').wait({ metadata: md });
}

/** What a wrapped method takes: the proto-loader request type. */
export type StartArgument = Parameters<Start>[0] extends StartExportRequest__Output ? never : true;
