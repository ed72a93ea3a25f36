/**
 * The LRO layer of GAPIC-style clients: read a method's `(google.longrunning.operation_info)`
 * option into the `OperationTypes` that `wrap()` and `operation()` take. Calling the
 * method itself, in whichever form it comes, is transport/start-call.ts.
 */

import { type Registry, TYPE_URL_PREFIX } from '../proto/registry.js';
import { withRpcName } from '../transport/start-call.js';
import { UnknownTypeError } from '../wire/errors.js';
import type { OperationTypes } from './operation.js';

/**
 * The declared types of `'pkg.Service.Method'`, from its `operation_info` option, resolved
 * against the method's package (a bare `ExportResult` in `longrunning.demo.v1` is
 * `longrunning.demo.v1.ExportResult`). Throws Error naming the method when it or the
 * option is missing, and UnknownTypeError (naming the method and the type) when a type the
 * option names is not in the registry.
 * The result also carries the method's name (not enumerable, not serialized), so that
 * `wrap(stub.method.bind(stub), types)` names the RPC in its RpcErrors.
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
      throw new UnknownTypeError(
        `${TYPE_URL_PREFIX}${candidates[0]}`,
        `method ${fullMethodName}: operation_info type ${JSON.stringify(name)} is not in the registry (add its .proto with registry.addProtoFiles)`,
      );
    }
    return found;
  };
  const response = resolve(responseType);
  const metadata = resolve(metadataType);
  const types: OperationTypes = {
    ...(response === undefined ? {} : { responseType: response }),
    ...(metadata === undefined ? {} : { metadataType: metadata }),
  };
  return withRpcName(types, method.name);
}
