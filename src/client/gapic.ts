/**
 * The LRO layer of GAPIC-style clients: read a method's `(google.longrunning.operation_info)`
 * option, and call any method that returns an Operation, callback-style (grpc-js) or
 * promise-style alike.
 */
import type * as grpc from '@grpc/grpc-js';
import { RpcError } from '../errors.js';
import type { Registry } from '../proto/registry.js';
import type { RawOperation } from '../proto/types.js';
import { toMetadata } from '../transport/grpc.js';
import type { CallOptions } from '../transport/operations-transport.js';
import { abortReason } from '../wait/signals.js';
import type { OperationTypes } from './operation.js';

/**
 * The declared types of `'pkg.Service.Method'`, from its `operation_info` option, resolved
 * against the method's package (a bare `ExportResult` in `longrunning.demo.v1` is
 * `longrunning.demo.v1.ExportResult`). Throws Error naming the method when it or the
 * option is missing, and UnknownTypeError-like Error when a named type is not in the registry.
 */
export function operationTypesFromMethod(registry: Registry, fullMethodName: string): OperationTypes {
  const dot = fullMethodName.lastIndexOf('.');
  const service = dot < 0 ? undefined : registry.lookupService(fullMethodName.slice(0, dot));
  const method = service?.methods[fullMethodName.slice(dot + 1)];
  if (service === undefined || method === undefined) {
    throw new Error(
      `method ${fullMethodName} is not in the registry (add its .proto with registry.addProtoFiles)`,
    );
  }
  const options = method.options ?? {};
  const responseType = options['(google.longrunning.operation_info).response_type'];
  const metadataType = options['(google.longrunning.operation_info).metadata_type'];
  if (typeof responseType !== 'string' && typeof metadataType !== 'string') {
    throw new Error(`method ${fullMethodName} has no (google.longrunning.operation_info) option`);
  }
  const pkg = service.fullName.replace(/^\./, '').split('.').slice(0, -1).join('.');
  const resolve = (name: unknown): string | undefined => {
    if (typeof name !== 'string' || name === '') return undefined;
    const candidates = name.includes('.') ? [name, `${pkg}.${name}`] : [`${pkg}.${name}`, name];
    const found = candidates.find((c) => registry.has(c));
    if (found === undefined) {
      throw new Error(
        `method ${fullMethodName}: operation_info type ${JSON.stringify(name)} is not in the registry`,
      );
    }
    return found;
  };
  const response = resolve(responseType);
  const metadata = resolve(metadataType);
  return {
    ...(response === undefined ? {} : { responseType: response }),
    ...(metadata === undefined ? {} : { metadataType: metadata }),
  };
}

/** A method that starts an operation: grpc-js unary style (bound) or promise style. */
export type StartMethod<Req> =
  | ((
      request: Req,
      metadata: grpc.Metadata,
      options: grpc.CallOptions,
      callback: grpc.requestCallback<RawOperation>,
    ) => unknown)
  | ((request: Req, callback: grpc.requestCallback<RawOperation>) => unknown)
  | ((request: Req) => PromiseLike<RawOperation>);

function isThenable(x: unknown): x is PromiseLike<RawOperation> {
  return typeof x === 'object' && x !== null && 'then' in x && typeof x.then === 'function';
}

/**
 * Calls `method` once with `request`. A returned promise is used when there is one;
 * otherwise the grpc-js callback is. A grpc ServiceError becomes RpcError (details
 * decoded); aborting `options.signal` cancels a grpc-js call and rejects with its reason.
 */
export function callStartMethod<Req>(
  method: StartMethod<Req>,
  request: Req,
  options: CallOptions,
  registry: Registry,
): Promise<RawOperation> {
  const methodName = (method.name || 'start method').replace(/^bound /, '');
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<RawOperation>((resolve, reject) => {
    let onAbort: (() => void) | undefined;
    const callback: grpc.requestCallback<RawOperation> = (error, value) => {
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      if (error !== null) reject(RpcError.fromServiceError(error, registry, methodName));
      else if (value === undefined) reject(new RpcError(13, 'empty response', [], methodName));
      else resolve(value);
    };
    const deadline = options.timeoutMs === undefined ? undefined : Date.now() + options.timeoutMs;
    const call = (method as (...args: unknown[]) => unknown)(
      request,
      toMetadata(options.metadata),
      deadline === undefined ? {} : { deadline },
      callback,
    );
    if (isThenable(call)) {
      call.then(resolve, reject);
      return;
    }
    if (signal !== undefined) {
      onAbort = (): void => {
        if (
          typeof call === 'object' &&
          call !== null &&
          'cancel' in call &&
          typeof call.cancel === 'function'
        ) {
          call.cancel();
        }
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
