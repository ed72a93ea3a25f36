/**
 * A raw grpc-js client for the fake server's services, built from `serviceDefinition`
 * (not from the library's OperationsClient), for tests of the server itself.
 */
import * as grpc from '@grpc/grpc-js';
import { builtinRoot, serviceDefinition } from '../../src/proto/builtin.ts';

const root = builtinRoot();
const operations = serviceDefinition(root.lookupService('google.longrunning.Operations'));
const exporter = serviceDefinition(root.lookupService('longrunning.demo.v1.Exporter'));

/** A started call: the grpc-js handle (to cancel it) and its outcome. */
export interface StartedCall<Res> {
  readonly call: grpc.ClientUnaryCall;
  readonly result: Promise<Res>;
}

/** Raw access to the Operations and Exporter RPCs at one address. */
export class RawClient {
  readonly #operations: grpc.Client;
  readonly #exporter: grpc.Client;

  constructor(address: string) {
    const Operations = grpc.makeGenericClientConstructor(operations, 'Operations');
    const Exporter = grpc.makeGenericClientConstructor(exporter, 'Exporter');
    this.#operations = new Operations(address, grpc.credentials.createInsecure());
    this.#exporter = new Exporter(address, grpc.credentials.createInsecure(), {
      channelOverride: this.#operations.getChannel(),
    });
  }

  /** Starts `method` with `request`; rejects with the grpc-js ServiceError when it fails. */
  start<Res = unknown>(method: string, request: object, options: grpc.CallOptions = {}): StartedCall<Res> {
    const client = method in operations ? this.#operations : this.#exporter;
    const definition = operations[method] ?? exporter[method];
    if (definition === undefined) throw new Error(`unknown method ${method}`);
    let call: grpc.ClientUnaryCall | undefined;
    const result = new Promise<Res>((resolve, reject) => {
      call = client.makeUnaryRequest(
        definition.path,
        definition.requestSerialize,
        definition.responseDeserialize as (bytes: Buffer) => Res,
        request,
        new grpc.Metadata(),
        options,
        (err, value) => (err !== null || value === undefined ? reject(err) : resolve(value)),
      );
    });
    if (call === undefined) throw new Error('makeUnaryRequest did not return a call');
    return { call, result };
  }

  /** Calls `method` and resolves its response. */
  call<Res = unknown>(method: string, request: object, options?: grpc.CallOptions): Promise<Res> {
    return this.start<Res>(method, request, options).result;
  }

  /** Calls `method`, expecting it to fail, and resolves the ServiceError. */
  async error(method: string, request: object, options?: grpc.CallOptions): Promise<grpc.ServiceError> {
    try {
      await this.call(method, request, options);
    } catch (err) {
      return err as grpc.ServiceError;
    }
    throw new Error(`${method} was expected to fail but succeeded`);
  }

  close(): void {
    this.#exporter.close();
    this.#operations.close();
  }
}

/** Real milliseconds since `start` (performance.now()). */
export function since(start: number): number {
  return performance.now() - start;
}

/** Resolves once `condition()` holds, checking every millisecond; rejects after `timeoutMs` of real time. */
export async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (since(start) > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

/** How many active 'Timeout' resources the process holds. */
export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}
