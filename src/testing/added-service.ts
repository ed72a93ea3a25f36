/**
 * A user's own API served by the fake server next to Operations (as a GAPIC client expects
 * one endpoint for both): handlers written as plain functions of the request that return
 * the response, or an operation handle the server created, adapted to grpc-js.
 */
import type * as grpc from '@grpc/grpc-js';
import { Code } from '../wire/code.js';
import { FakeOperationHandle } from './fake-operation.js';
import { RpcFailure } from './faults.js';

/** What a handler of an added method is given besides the request. */
export interface CallContext<Server> {
  /** The fake server serving the call: create or simulate the operation the method starts. */
  readonly server: Server;
  /** The request headers of the call. */
  readonly metadata: grpc.Metadata;
}

/**
 * Answers one unary call: returns (or resolves) the response message, or a
 * `FakeOperationHandle`, answered with its current snapshot. Throwing (or rejecting with)
 * an `RpcFailure`, or any error with a gRPC `code` from 1 to 16, ends the call with that
 * code and message (and the failure's details); anything else ends it with INTERNAL and
 * the error's message. The request is typed by the handler (e.g. a generated `__Output`).
 */
export type UnaryHandler<Server> = {
  // A method signature keeps the parameter bivariant, so a handler may declare its request type.
  handle(request: object, context: CallContext<Server>): object | Promise<object>;
}['handle'];

/** Handlers by method name (the proto name, e.g. `StartExport`, or the camelCase one). */
export type ServiceHandlers<Server> = Readonly<Record<string, UnaryHandler<Server>>>;

/** The status a handler's throw ends the call with. */
function failureOf(error: unknown): RpcFailure {
  if (error instanceof RpcFailure) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'number' && Number.isInteger(code) && code >= 1 && code <= 16) {
    return new RpcFailure(code, message);
  }
  return new RpcFailure(Code.INTERNAL, message);
}

/**
 * The grpc-js implementation of `definition` from `impl`. Methods without a handler
 * answer UNIMPLEMENTED. Throws a TypeError when a handler is not a function, names no
 * method of the definition, or is given for a streaming method.
 */
export function serviceImplementation<Server>(
  definition: grpc.ServiceDefinition,
  impl: ServiceHandlers<Server>,
  server: Server,
): grpc.UntypedServiceImplementation {
  const methods = Object.entries(definition);
  const service = methods[0]?.[1].path.split('/')[1] ?? '(empty definition)';
  const result: grpc.UntypedServiceImplementation = {};
  for (const [key, handler] of Object.entries(impl)) {
    const found = methods.find(([name, method]) => name === key || method.originalName === key);
    if (found === undefined) {
      const names = methods.map(([name]) => name).join(', ');
      throw new TypeError(`addService(): ${service} has no method ${JSON.stringify(key)} (it has: ${names})`);
    }
    const [name, method] = found;
    if (typeof handler !== 'function') {
      throw new TypeError(`addService(): the handler of ${service}.${name} is not a function`);
    }
    if (method.requestStream || method.responseStream) {
      throw new TypeError(
        `addService(): ${service}.${name} is a streaming method; only unary methods are served`,
      );
    }
    const unary: grpc.handleUnaryCall<object, object> = (call, callback) => {
      const answer = (value: object): void =>
        callback(null, value instanceof FakeOperationHandle ? value.snapshot : value);
      const fail = (error: unknown): void => callback(failureOf(error).toStatus());
      try {
        Promise.resolve(handler(call.request, { server, metadata: call.metadata })).then(answer, fail);
      } catch (error) {
        fail(error);
      }
    };
    result[name] = unary;
  }
  return result;
}
