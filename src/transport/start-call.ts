/**
 * Calling a method that starts an operation, in every form a GAPIC-style client has one:
 * a grpc-js stub method of any grpc-js copy, a callback or promise function, a google-gax
 * GAPIC method. This is where grpc-js and google-gax calling conventions live (headers as
 * a Metadata of the stub's own grpc-js copy, gax's `otherArgs`), so that the client core
 * (`wrap()`) knows none of them: a client hands it `callStartMethod`.
 * (Over ~250 lines: one dispatcher for every start-method form DESIGN lists, each with
 * the TypeError that says what came back; the forms share one settle-once path.)
 */
import * as grpc from '@grpc/grpc-js';
import { describeValue } from '../base/describe-value.js';
import type { Registry } from '../proto/registry.js';
import { isServiceErrorLike, LongrunningError, RpcError } from '../wire/errors.js';
import type { RawOperation } from '../wire/types.js';
import { toMetadata } from './grpc.js';
import { isMetadataLike, metadataEntries, TWO_COPIES_FIX } from './grpc-interop.js';
import { grpcDeadline, grpcUnaryCall } from './grpc-unary-call.js';
import type { CallOptions } from './operations-transport.js';
import { headerSecrets, redactRpcError } from './redact-error.js';

/** A grpc-js unary callback, of any grpc-js copy. */
export type UnaryCallback = (error: unknown, value?: unknown) => void;

/**
 * A method that starts an operation, in every form it comes in:
 * - a grpc-js unary stub method of any grpc-js copy, bound (`stub.startExport.bind(stub)`),
 *   called `(request, metadata, options, callback)`;
 * - a 2-argument callback function `(request, callback)`;
 * - a promise function `(request) => Promise<snapshot>`;
 * - a google-gax GAPIC method `(request, options?, callback?)` (3 declared parameters),
 *   called `(request, options)` with no callback: it resolves `[operation, …]`.
 * The form is told by the number of declared parameters (`method.length`): 0 (a grpc-js
 * stub's rest parameters) or 4, 2, 1, 3. The snapshot may be any shape `operation()` takes.
 */
export type StartMethod<Req> =
  | ((request: Req, metadata: never, options: never, callback: UnaryCallback) => unknown)
  | ((request: Req, callback: UnaryCallback) => unknown)
  | ((request: Req) => PromiseLike<unknown>);

/** Where operationTypesFromMethod records the method's name, for wrap()'s errors (not serialized). */
const RPC_NAME = Symbol('longrunning.rpcName');

/** `types` naming the RPC (for wrap()'s errors), without adding an enumerable field. */
export function withRpcName<T extends object>(types: T, rpcName: string): T {
  return Object.defineProperty({ ...types }, RPC_NAME, { value: rpcName, enumerable: false });
}

/** What errors call a start method whose RPC name nothing tells (until a call learns it). */
const UNNAMED = 'start method';

/** The method name of a gRPC path: 'StartExport' of '/longrunning.demo.v1.Exporter/StartExport'. */
function methodOfPath(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * The RPC's name for errors: the function's own name without `bound `, a grpc-js stub
 * method's `path`, the name operationTypesFromMethod recorded in `types`, or UNNAMED
 * (a bound grpc-js stub: binding hides both its name and its path).
 */
function rpcNameOf(method: object, types?: object): string {
  const own = 'name' in method && typeof method.name === 'string' ? method.name.replace(/^bound /, '') : '';
  if (own !== '') return own;
  if ('path' in method && typeof method.path === 'string') return methodOfPath(method.path);
  const recorded = types === undefined ? undefined : Reflect.get(types, RPC_NAME);
  return typeof recorded === 'string' ? recorded : UNNAMED;
}

/** A grpc-js client interceptor of any copy: it sees the call's options, `method_definition` among them. */
type PathInterceptor = (
  options: { method_definition?: { path?: unknown } },
  nextCall: (o: object) => unknown,
) => unknown;

/**
 * Call options for a grpc-js stub of an unnamed RPC: an interceptor that hands `learn` the
 * method path grpc-js gives every interceptor (`options.method_definition.path`), then
 * lets the call go on unchanged. grpc-js runs it, synchronously, when the stub is called;
 * being an interceptor of the call, it replaces those of the stub's client for that call,
 * which is why it is only given when nothing else names the RPC.
 */
function learnPath(learn: (path: string) => void): { interceptors: PathInterceptor[] } {
  return {
    interceptors: [
      (options, nextCall) => {
        const path = options.method_definition?.path;
        if (typeof path === 'string') learn(path);
        return nextCall(options);
      },
    ],
  };
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && 'then' in x && typeof x.then === 'function';
}

/** Headers as google-gax's `otherArgs.headers` takes them (arrays for repeated and binary values). */
function gaxHeaders(metadata: CallOptions['metadata']): Record<string, (string | Buffer)[]> {
  const headers: Record<string, (string | Buffer)[]> = {};
  const entries = isMetadataLike(metadata) ? metadataEntries(metadata) : Object.entries(metadata ?? {});
  for (const [key, value] of entries) headers[key] = [...(headers[key] ?? []), value];
  return headers;
}

function hasHeaders(metadata: CallOptions['metadata']): boolean {
  if (metadata === undefined) return false;
  return isMetadataLike(metadata) ? metadataEntries(metadata).length > 0 : Object.keys(metadata).length > 0;
}

/** grpc-js's words for arguments it does not take (a Metadata of another copy). */
const INCORRECT_ARGUMENTS = 'Incorrect arguments passed';

/** A TypeError of wrap()'s own, passed through as is (not wrapped as "the method threw"). */
class WrapUsageError extends TypeError {}

/**
 * Calls a grpc-js stub method (`(request, metadata, options, callback)`). A stub of another
 * grpc-js copy refuses our Metadata before any RPC; it is then called with a Metadata of
 * its own copy (a clone of the caller's, when the caller passed one of that copy), or
 * without one when there are no headers. Headers given as a plain object cannot be made
 * into its copy's Metadata: WrapUsageError naming the cause and the fix.
 */
function callStub(
  method: (...args: unknown[]) => unknown,
  request: unknown,
  options: CallOptions,
  callback: UnaryCallback,
  rpcName: string,
  learn: (path: string) => void,
): unknown {
  // A timeout past what a gRPC deadline holds is none (grpcDeadline), as for every RPC.
  const deadline = {
    ...(options.timeoutMs === undefined ? {} : { deadline: grpcDeadline(options.timeoutMs) }),
    ...(rpcName === UNNAMED ? learnPath(learn) : {}),
  };
  let own: grpc.Metadata;
  try {
    own = toMetadata(options.metadata, 'options.metadata');
  } catch (error) {
    // A header gRPC cannot carry: the caller's mistake, named as such (never its value).
    throw new WrapUsageError(`wrap(${rpcName}): ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return method(request, own, deadline, callback);
  } catch (error) {
    if (method.length !== 0 || !(error instanceof Error) || error.message !== INCORRECT_ARGUMENTS)
      throw error;
  }
  const { metadata } = options;
  if (!hasHeaders(metadata)) return method(request, deadline, callback);
  if (isMetadataLike(metadata) && !(metadata instanceof grpc.Metadata) && 'clone' in metadata) {
    const clone = typeof metadata.clone === 'function' ? metadata.clone() : undefined;
    return method(request, clone, deadline, callback);
  }
  throw new WrapUsageError(
    `wrap(${rpcName}): the method is a grpc-js stub of another copy of @grpc/grpc-js than longrunning's (two grpc-js copies are installed), so its headers must be a Metadata of that copy: pass options.metadata as a Metadata of the grpc-js the stub was made with, or ${TWO_COPIES_FIX}`,
  );
}

/** Turns what a start method gave into a snapshot; throws (an Error saying why) when it is not an operation. */
export type ToOperation = (value: unknown) => RawOperation;

/**
 * How a client calls the methods `wrap()` wraps: `callStartMethod` for the clients of
 * this package; a client of another kind may bring its own.
 */
export type StartCaller = (
  method: StartMethod<never>,
  request: unknown,
  options: CallOptions,
  registry: Registry,
  toOperation: ToOperation,
  types?: object,
) => Promise<RawOperation>;

/**
 * Calls `method` once with `request` and resolves the snapshot it started, as
 * `toOperation` makes it of what came back (see
 * StartMethod for the forms), through the one grpc-js unary-call helper
 * (transport/grpc-unary-call.ts: settles once, cancels on abort). Rejects with RpcError
 * when the call fails with a gRPC status (any grpc-js copy, google-gax's GoogleError),
 * with what a promise method rejected with otherwise, with the signal's reason on abort
 * (the call is cancelled where it can be), and with TypeError saying what came back when
 * the method throws, returns or calls back with something that is not an operation (a
 * bare string too: it would be taken for an operation's name, and no start method
 * answers with one), or calls back twice before its result is used; also when the
 * caller's headers or timeout cannot be given to a method of its form. A callback after
 * the result was used changes nothing and emits a process warning. Errors name the RPC
 * (`RpcError.method`): for a bound grpc-js stub, whose binding hides its name, by the path
 * grpc-js hands the call's interceptors.
 */
export const callStartMethod: StartCaller = async (
  method,
  request,
  options,
  registry,
  toOperation,
  types,
) => {
  // A bound grpc-js stub's name is learned when it is called (see learnPath).
  let rpcName = rpcNameOf(method, types);
  const label = (): string => `wrap(${rpcName})`;
  const call = method as (...args: unknown[]) => unknown;
  const arity = call.length;
  if ((arity === 1 || arity === 2) && (hasHeaders(options.metadata) || options.timeoutMs !== undefined)) {
    throw new TypeError(
      `${label()}: a method of ${arity} parameter${arity === 1 ? '' : 's'} cannot be given options.metadata or options.timeoutMs; wrap a grpc-js stub method (request, metadata, options, callback) or a google-gax method to pass them`,
    );
  }
  const { signal } = options;
  let via = 'called back with';
  let callbacks: string[] = [];
  let used = false;
  const toError = (error: unknown): unknown => startError(error, options, registry, rpcName, label());
  const settled = grpcUnaryCall<unknown>({
    method: rpcName,
    signal,
    toError,
    onThrow: (error) =>
      error instanceof WrapUsageError
        ? error
        : new TypeError(`${label()}: the method threw ${String(error)}`, { cause: error }),
    start: (settle) => {
      const callback: UnaryCallback = (error, value) => {
        const outcome =
          error !== null && error !== undefined ? `an error (${String(error)})` : describeValue(value);
        callbacks = [...callbacks, outcome];
        // After an abort, grpc-js calls back once with CANCELLED: expected, not worth a warning.
        if (used && callbacks.length > 1 && signal?.aborted !== true) {
          process.emitWarning(
            `${label()}: the method called back again after its result was used (${outcome})`,
          );
        }
        // toError takes any value: a ServiceError of any grpc-js copy, or what a callback-style method passed.
        settle(error === undefined ? null : (error as grpc.ServiceError | null), value);
      };
      if (arity === 1 || arity === 3) {
        const returned = arity === 1 ? call(request) : call(request, gaxOptions(options));
        if (!isThenable(returned)) {
          throw new WrapUsageError(
            `${label()}: the method returned ${describeValue(returned)}, not a promise of an Operation`,
          );
        }
        via = 'resolved with';
        return returned;
      }
      if (arity === 2) return call(request, callback);
      return callStub(call, request, options, callback, rpcName, (path) => {
        rpcName = methodOfPath(path);
      });
    },
  });
  // A second callback in the same turn as the first is counted by the time this settles.
  const outcome = await settled.then(
    (value) => ({ value }),
    (error: unknown) => ({ error: toError(error) }),
  );
  used = true;
  if (callbacks.length > 1) {
    throw new TypeError(
      `${label()}: the method called back twice: with ${callbacks[0]}, then with ${callbacks[1]}`,
    );
  }
  if ('error' in outcome) throw outcome.error;
  if (typeof outcome.value === 'string') {
    // operation() takes a name, but a start method answers with the operation it started.
    throw new TypeError(
      `${label()}: the method ${via} a string, not an Operation: a bare string is not one (no start method answers with a name)`,
    );
  }
  try {
    return toOperation(outcome.value);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new TypeError(
      `${label()}: the method ${via} ${describeValue(outcome.value)}, not an Operation (${why})`,
    );
  }
};

/** google-gax call options carrying the caller's timeout and headers. */
function gaxOptions(options: CallOptions): object {
  return {
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    ...(hasHeaders(options.metadata) ? { otherArgs: { headers: gaxHeaders(options.metadata) } } : {}),
  };
}

/**
 * The error a failed start call rejects with: the abort reason and the library's own
 * errors as they are, RpcError for a gRPC status (details decoded; the values of the
 * headers the call sent redacted from it), the Error itself otherwise, TypeError for a
 * non-Error rejection.
 */
function startError(
  error: unknown,
  options: CallOptions,
  registry: Registry,
  rpcName: string,
  label: string,
): unknown {
  const { signal } = options;
  if ((signal?.aborted === true && error === signal.reason) || LongrunningError.is(error)) return error;
  if (error instanceof TypeError && error.message.startsWith(label)) return error;
  if (isServiceErrorLike(error)) {
    // The headers this call sent never show in its error, whatever the server echoed.
    const sent = options.metadata === undefined ? [] : headerSecrets([options.metadata]);
    return redactRpcError(RpcError.fromServiceError(error, registry, rpcName), sent);
  }
  if (error instanceof Error) return error;
  return new TypeError(`${label}: the method failed with ${describeValue(error)}, not an Error`);
}
