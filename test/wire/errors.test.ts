import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { builtinRoot, encodeMessage, serviceDefinition } from '../../src/proto/builtin.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import {
  DecodeError,
  decodeDetails,
  LongrunningError,
  OperationError,
  OperationStateError,
  RpcError,
  TimeoutError,
  UnknownTypeError,
} from '../../src/wire/errors.ts';
import type { RawOperation } from '../../src/wire/types.ts';

const registry = createRegistry();
const unknownDetail = { type_url: 'type.googleapis.com/acme.v1.Secret', value: Buffer.from([8, 1]) };

function failedOperation(): RawOperation {
  return {
    name: 'operations/op1',
    done: true,
    metadata: null,
    result: 'error',
    error: {
      code: 9,
      message: 'table t1 missing',
      details: [
        registry.pack('google.rpc.ErrorInfo', { reason: 'TABLE_MISSING', domain: 'acme.com', metadata: {} }),
        registry.pack('google.rpc.RetryInfo', { retryDelay: { seconds: '3', nanos: 0 } }),
        unknownDetail,
      ],
    },
  };
}

describe('OperationError.fromStatus', () => {
  it('keeps every detail, decoding the known ones and the bytes of the unknown one', () => {
    const op = failedOperation();
    assert.ok(op.error);
    const err = OperationError.fromStatus(op.error, registry, op);
    assert.equal(err.code, 9);
    assert.equal(err.codeName, 'FAILED_PRECONDITION');
    assert.equal(err.rawMessage, 'table t1 missing');
    assert.equal(err.message, 'FAILED_PRECONDITION: table t1 missing');
    assert.equal(err.operation, op);
    assert.equal(err.details.length, 3);
    assert.deepEqual(err.findDetails('google.rpc.ErrorInfo'), [
      { reason: 'TABLE_MISSING', domain: 'acme.com', metadata: {} },
    ]);
    assert.deepEqual(err.findDetails('google.rpc.RetryInfo'), [{ retryDelay: { seconds: '3', nanos: 0 } }]);
    assert.deepEqual(err.details[2], {
      typeName: 'acme.v1.Secret',
      value: undefined,
      bytes: unknownDetail.value,
    });
  });

  it('keeps a detail whose bytes are corrupt instead of throwing', () => {
    const corrupt = {
      type_url: 'type.googleapis.com/google.rpc.ErrorInfo',
      value: Buffer.from([0x0a, 0xff]),
    };
    assert.deepEqual(decodeDetails([corrupt], registry), [
      { typeName: 'google.rpc.ErrorInfo', value: undefined, bytes: corrupt.value },
    ]);
  });
});

describe('error guards', () => {
  it('recognise each class and its base, and nothing else', () => {
    const op = failedOperation();
    const errors = [
      new OperationError(5, 'gone', [], op),
      new RpcError(14, 'down', [], 'GetOperation'),
      new TimeoutError('operations/x', 1000, 1000, 2),
      new UnknownTypeError('type.googleapis.com/x.Y'),
      new DecodeError('type.googleapis.com/x.Y', new Error('bad')),
      new OperationStateError(op, 'done with neither response nor error'),
    ];
    const classes = [
      OperationError,
      RpcError,
      TimeoutError,
      UnknownTypeError,
      DecodeError,
      OperationStateError,
    ];
    for (const [i, err] of errors.entries()) {
      assert.ok(LongrunningError.is(err));
      assert.ok(err instanceof Error);
      for (const [j, cls] of classes.entries()) {
        assert.equal(cls.is(err), i === j, `${cls.name}.is(${err.name})`);
      }
      assert.equal(err.name, classes[i]?.name);
    }
    assert.equal(OperationError.is(new Error('x')), false);
    assert.equal(OperationError.is(null), false);
    assert.equal(LongrunningError.is({}), false);
  });

  it('work across two copies of the package', async () => {
    const copy: typeof import('../../src/wire/errors.ts') = await import(
      `../../src/wire/errors.ts?copy=${Date.now()}`
    );
    assert.notEqual(copy.RpcError, RpcError, 'a distinct module instance');
    const foreign = new copy.RpcError(5, 'gone', [], 'GetOperation');
    assert.equal(foreign instanceof RpcError, false);
    assert.ok(RpcError.is(foreign));
    assert.ok(LongrunningError.is(foreign));
    assert.equal(OperationError.is(foreign), false);
  });

  it('name the operation and the timeout in a TimeoutError', () => {
    const err = new TimeoutError('operations/slow', 10_000, 10_000, 4);
    assert.match(err.message, /operations\/slow/);
    assert.match(err.message, /10000/);
    assert.match(err.message, /4 polls/);
  });
});

describe('RpcError.fromServiceError over loopback', () => {
  const server = new grpc.Server();
  let client: grpc.Client;
  const definition = serviceDefinition(builtinRoot().lookupService('google.longrunning.Operations'));

  before(async () => {
    const status = builtinRoot().lookupType('google.rpc.Status');
    server.addService(definition, {
      GetOperation(_call: grpc.ServerUnaryCall<object, object>, callback: grpc.sendUnaryData<object>) {
        const trailer = new grpc.Metadata();
        trailer.set(
          'grpc-status-details-bin',
          encodeMessage(status, {
            code: 5,
            message: 'operation operations/x not found',
            details: [
              registry.pack('google.rpc.ResourceInfo', {
                resourceType: 'operation',
                resourceName: 'operations/x',
              }),
              registry.pack('google.rpc.ErrorInfo', { reason: 'NOT_FOUND', domain: 'longrunning.example' }),
            ],
          }),
        );
        callback({
          code: grpc.status.NOT_FOUND,
          details: 'operation operations/x not found',
          metadata: trailer,
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  after(() => {
    client.close();
    server.forceShutdown();
  });

  it('decodes the grpc-status-details-bin trailer into details', async () => {
    const method = definition.GetOperation;
    assert.ok(method);
    const serviceError = await new Promise<grpc.ServiceError>((resolve, reject) =>
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        { name: 'operations/x' },
        (err) => (err ? resolve(err) : reject(new Error('expected the call to fail'))),
      ),
    );
    const err = RpcError.fromServiceError(serviceError, registry, 'GetOperation');
    assert.equal(err.code, 5);
    assert.equal(err.codeName, 'NOT_FOUND');
    assert.equal(err.method, 'GetOperation');
    assert.equal(err.rawMessage, 'operation operations/x not found');
    assert.match(err.message, /^NOT_FOUND: operation operations\/x not found/);
    assert.equal(err.cause, serviceError);
    assert.deepEqual(
      err.details.map((d) => d.typeName),
      ['google.rpc.ResourceInfo', 'google.rpc.ErrorInfo'],
    );
    assert.deepEqual(err.findDetails('google.rpc.ErrorInfo'), [
      { reason: 'NOT_FOUND', domain: 'longrunning.example', metadata: {} },
    ]);
  });
});
