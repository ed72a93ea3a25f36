import * as grpc from '@grpc/grpc-js';
import { builtinRoot, serviceDefinition } from '../../src/proto/builtin.ts';
import { loopbackServer } from '../transport/loopback-http.ts';

const OPERATION = builtinRoot().lookupType('google.longrunning.Operation');

/** The wire bytes of an Operation given as a plain object (camelCase or snake_case fields). */
export function operationBytes(fields: object): Buffer {
  return Buffer.from(OPERATION.encode(OPERATION.fromObject(fields)).finish());
}

/**
 * A gRPC Operations server whose GetOperation and WaitOperation answer `answer(name)`, as
 * raw bytes, and whose ListOperations answers `list(request)` (a plain ListOperationsResponse).
 */
export async function rawGrpcServer(
  answer: (name: string) => Buffer,
  list: (request: { pageToken?: string }) => object = () => ({}),
): Promise<{ address: string; stop(): Promise<void> }> {
  const definition = serviceDefinition(builtinRoot().lookupService('google.longrunning.Operations'));
  const method = (name: string): grpc.MethodDefinition<object, object> => {
    const found = definition[name];
    if (found === undefined) throw new Error(`no ${name}`);
    return found;
  };
  const raw = (name: string): grpc.MethodDefinition<object, Buffer> => ({
    ...method(name),
    responseSerialize: (bytes: Buffer) => bytes,
    responseDeserialize: (bytes: Buffer) => bytes,
  });
  const reply: grpc.handleUnaryCall<{ name?: string }, Buffer> = (call, callback) =>
    callback(null, answer(call.request.name ?? ''));
  const server = new grpc.Server();
  const listOperations: grpc.handleUnaryCall<{ pageToken?: string }, object> = (call, callback) =>
    callback(null, list(call.request));
  server.addService(
    {
      GetOperation: raw('GetOperation'),
      WaitOperation: raw('WaitOperation'),
      ListOperations: method('ListOperations'),
    },
    { GetOperation: reply, WaitOperation: reply, ListOperations: listOperations },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e === null ? resolve(p) : reject(e),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

/** An HTTP server answering every request 200 with the JSON text `answer(path)`. */
export async function rawHttpServer(
  answer: (path: string) => string,
): Promise<{ url: string; readonly requests: string[]; close(): Promise<void> }> {
  const server = await loopbackServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer(req.url ?? ''));
  });
  return {
    url: server.url,
    get requests() {
      return server.requests.map((req) => `${req.method} ${req.url}`);
    },
    close: () => server.close(),
  };
}
