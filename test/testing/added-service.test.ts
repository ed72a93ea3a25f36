import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { operationTypesFromMethod } from '../../src/client/gapic.ts';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer, type FakeServiceHandlers } from '../../src/testing/fake-server.ts';
import { RpcFailure } from '../../src/testing/faults.ts';
import type { RawOperation } from '../../src/wire/types.ts';

const PROTOS = join(import.meta.dirname, '..', 'fixtures', 'protos');
const LIBRARY_PROTO = join(PROTOS, 'library', 'v1', 'library.proto');
const VENDORED = join(import.meta.dirname, '..', '..', 'protos');

const pkg = protoLoader.loadSync(LIBRARY_PROTO, {
  includeDirs: [PROTOS, VENDORED],
  longs: String,
  defaults: true,
});
const libraryDefinition = pkg['library.v1.Library'] as grpc.ServiceDefinition;
const Library = grpc.makeGenericClientConstructor(libraryDefinition, 'Library');

interface Shelf {
  name: string;
  theme: string;
}

/** Calls one unary Library method through grpc-js; resolves the response or rejects with the ServiceError. */
function call<T>(
  client: grpc.Client,
  method: string,
  request: object,
  metadata = new grpc.Metadata(),
): Promise<T> {
  const definition = libraryDefinition[method];
  if (definition === undefined) throw new Error(`unknown method ${method}`);
  return new Promise<T>((resolve, reject) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize as (bytes: Buffer) => T,
      request,
      metadata,
      {},
      (err, value) => (err !== null || value === undefined ? reject(err) : resolve(value)),
    );
  });
}

describe('FakeOperationsServer.addService', () => {
  let server: FakeOperationsServer;
  let library: grpc.Client;
  let operations: OperationsClient;

  before(async () => {
    server = await FakeOperationsServer.start({
      services: [
        {
          definition: libraryDefinition,
          impl: {
            StartBackup: (request: { shelf: string }, { server: fake }) =>
              fake.create({ name: `backups/${request.shelf}` }),
            getShelf: async (request: { name: string }, { metadata }) => {
              if (request.name === 'missing') throw new RpcFailure(grpc.status.NOT_FOUND, 'no shelf missing');
              if (request.name === 'boom') throw new Error('handler bug');
              return { name: request.name, theme: String(metadata.get('x-theme')[0] ?? 'none') };
            },
          },
        },
      ],
    });
    server.registry.addProtoFiles([LIBRARY_PROTO], { includeDirs: [PROTOS] });
    library = new Library(server.address, grpc.credentials.createInsecure());
    operations = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
      registry: server.registry,
    });
  });

  after(async () => {
    library.close();
    operations.close();
    await server.stop();
  });

  it('serves the API and Operations on one endpoint: a started operation is waited on through the same address', async () => {
    const start = operations.wrap(
      (request: { shelf: string }) => call<RawOperation>(library, 'StartBackup', request),
      operationTypesFromMethod(server.registry, 'library.v1.Library.StartBackup'),
    );
    const op = await start({ shelf: 'poetry' });
    assert.equal(op.name, 'backups/poetry');
    assert.equal(op.done, false);
    assert.equal(server.store.has('backups/poetry'), true);
    const waiting = op.wait({ strategy: 'wait' });
    await until(() => server.openWaits === 1);
    server.store.update('backups/poetry', {
      done: true,
      response: server.registry.pack('library.v1.Backup', { uri: 'backup://poetry' }),
    });
    assert.deepEqual(await waiting, { uri: 'backup://poetry' });
  });

  it('passes the request headers to the handler and answers with what it returns', async () => {
    const metadata = new grpc.Metadata();
    metadata.set('x-theme', 'verse');
    const shelf = await call<Shelf>(library, 'GetShelf', { name: 's1' }, metadata);
    assert.deepEqual(shelf, { name: 's1', theme: 'verse' });
  });

  it('ends a call with the code and message of a thrown RpcFailure, and INTERNAL for any other throw', async () => {
    await assert.rejects(call(library, 'GetShelf', { name: 'missing' }), {
      code: grpc.status.NOT_FOUND,
      details: 'no shelf missing',
    });
    await assert.rejects(call(library, 'GetShelf', { name: 'boom' }), {
      code: grpc.status.INTERNAL,
      details: 'handler bug',
    });
  });

  it('answers UNIMPLEMENTED for a method given no handler', async () => {
    const watch = libraryDefinition.WatchShelves;
    assert.ok(watch !== undefined);
    const stream = library.makeServerStreamRequest(
      watch.path,
      watch.requestSerialize,
      watch.responseDeserialize,
      { name: 's1' },
    );
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      stream.on('error', () => {});
      stream.on('status', resolve);
    });
    assert.equal(status.code, grpc.status.UNIMPLEMENTED);
  });

  it('refuses a handler for an unknown method, a streaming method or a non-function, naming it', () => {
    assert.throws(() => server.addService(libraryDefinition, { StartBakup: () => ({}) }), {
      name: 'TypeError',
      message:
        /library\.v1\.Library has no method "StartBakup" \(it has: StartBackup, GetShelf, WatchShelves\)/,
    });
    assert.throws(() => server.addService(libraryDefinition, { WatchShelves: () => ({}) }), {
      name: 'TypeError',
      message: /library\.v1\.Library\.WatchShelves is a streaming method/,
    });
    // What a JavaScript caller may pass: a value where a handler belongs.
    const notAFunction: FakeServiceHandlers = JSON.parse('{ "GetShelf": "shelf" }');
    assert.throws(() => server.addService(libraryDefinition, notAFunction), {
      name: 'TypeError',
      message: /the handler of library\.v1\.Library\.GetShelf is not a function/,
    });
  });

  it('rejects start with the TypeError when a services entry names no method of its service', async () => {
    await assert.rejects(
      FakeOperationsServer.start({
        services: [{ definition: libraryDefinition, impl: { Nope: () => ({}) } }],
      }),
      { name: 'TypeError', message: /has no method "Nope"/ },
    );
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(condition(), 'condition not reached within 1000 turns');
}
