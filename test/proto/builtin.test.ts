import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Operation__Output } from '../../src/generated/google/longrunning/Operation.ts';
import type { OperationsHandlers } from '../../src/generated/google/longrunning/Operations.ts';
import type { ExportResult__Output } from '../../src/generated/longrunning/demo/v1/ExportResult.ts';
import {
  builtinRoot,
  coreRoot,
  decodeMessage,
  encodeMessage,
  serviceDefinition,
} from '../../src/proto/builtin.ts';
import { createRegistry } from '../../src/proto/registry.ts';

describe('built-in protos over real gRPC', () => {
  const root = builtinRoot();
  const definition = serviceDefinition(root.lookupService('google.longrunning.Operations'));
  const exportResult = root.lookupType('longrunning.demo.v1.ExportResult');
  const server = new grpc.Server();
  let client: grpc.Client;

  before(async () => {
    const getOperation: OperationsHandlers['GetOperation'] = (call, callback) => {
      callback(null, {
        name: call.request.name,
        done: true,
        response: {
          type_url: 'type.googleapis.com/longrunning.demo.v1.ExportResult',
          value: encodeMessage(exportResult, { uri: 'export://t1', rowCount: '42' }),
        },
      });
    };
    server.addService(definition, { GetOperation: getOperation });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const Client = grpc.makeGenericClientConstructor(definition, 'Operations');
    client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client.close();
    server.forceShutdown();
  });

  it('answers GetOperation with a packed ExportResult that the client decodes', async () => {
    const getOperation = client.makeUnaryRequest.bind(client);
    const method = definition.GetOperation;
    assert.ok(method);
    const op = await new Promise<Operation__Output>((resolve, reject) =>
      getOperation(
        method.path,
        method.requestSerialize,
        method.responseDeserialize as (b: Buffer) => Operation__Output,
        { name: 'operations/abc' },
        (err, value) => (err || value === undefined ? reject(err) : resolve(value)),
      ),
    );
    assert.equal(op.name, 'operations/abc');
    assert.equal(op.done, true);
    assert.equal(op.result, 'response');
    assert.equal(op.response?.type_url, 'type.googleapis.com/longrunning.demo.v1.ExportResult');
    assert.ok(op.response);
    const result = decodeMessage<ExportResult__Output>(exportResult, op.response.value);
    assert.deepEqual(result, { uri: 'export://t1', rowCount: '42' });
  });

  it('builds method paths and grpc-js original names from the service', () => {
    assert.deepEqual(
      Object.values(definition).map((m) => [m.path, m.originalName]),
      [
        ['/google.longrunning.Operations/ListOperations', 'listOperations'],
        ['/google.longrunning.Operations/GetOperation', 'getOperation'],
        ['/google.longrunning.Operations/DeleteOperation', 'deleteOperation'],
        ['/google.longrunning.Operations/CancelOperation', 'cancelOperation'],
        ['/google.longrunning.Operations/WaitOperation', 'waitOperation'],
      ],
    );
  });
});

describe('the core of the built-in files', () => {
  it('holds the Operations service, the operation, status, error detail and well-known types', () => {
    const core = coreRoot();
    assert.ok(core.lookupService('google.longrunning.Operations'));
    for (const name of [
      'google.longrunning.Operation',
      'google.longrunning.OperationInfo',
      'google.rpc.Status',
      'google.rpc.BadRequest',
      'google.protobuf.Duration',
      'google.protobuf.Struct',
      'google.protobuf.BytesValue',
      'longrunning.demo.v1.ExportResult',
    ]) {
      assert.ok(core.lookupType(name), name);
    }
  });

  it('leaves out google.api and descriptor.proto, which a registry still finds in the whole built-in files', () => {
    const core = coreRoot();
    assert.equal(core.lookup('google.api.HttpRule'), null);
    assert.equal(core.lookup('google.protobuf.FileDescriptorProto'), null);
    assert.ok(builtinRoot().lookupType('google.api.HttpRule'));

    const registry = createRegistry();
    assert.ok(registry.has('google.protobuf.FileDescriptorProto'));
    const any = registry.pack('google.api.HttpRule', { selector: 's', get: '/v1/{name=x/*}' });
    assert.deepEqual(
      {
        selector: registry.unpack<{ selector: string }>(any).selector,
        get: registry.unpack<{ get: string }>(any).get,
      },
      { selector: 's', get: '/v1/{name=x/*}' },
    );
    assert.equal(registry.lookup('google.nothing.Here'), undefined);
  });

  it('keeps the method options of the services as data (operation_info of the demo Exporter)', () => {
    const method = coreRoot().lookupService('longrunning.demo.v1.Exporter').methods.StartExport;
    assert.deepEqual(method?.parsedOptions, [
      {
        '(google.longrunning.operation_info)': {
          response_type: 'ExportResult',
          metadata_type: 'ExportMetadata',
        },
      },
    ]);
  });
});
