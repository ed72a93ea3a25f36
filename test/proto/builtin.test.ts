import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { Operation__Output } from '../../src/generated/google/longrunning/Operation.ts';
import type { OperationsHandlers } from '../../src/generated/google/longrunning/Operations.ts';
import type { ExportResult__Output } from '../../src/generated/longrunning/demo/v1/ExportResult.ts';
import { builtinRoot, decodeMessage, encodeMessage, serviceDefinition } from '../../src/proto/builtin.ts';

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
