import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { MAX_DEADLINE_MS } from '../../src/base/deadline.ts';
import { builtinRoot, serviceDefinition } from '../../src/proto/builtin.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { grpcDeadline, grpcUnaryCall, type UnaryCallback } from '../../src/transport/grpc-unary-call.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';
import type { RawOperation } from '../../src/wire/types.ts';
import { eventually } from '../client/handle-suite.ts';

const get = serviceDefinition(builtinRoot().lookupService('google.longrunning.Operations')).GetOperation;

describe('grpcUnaryCall', () => {
  let server: FakeOperationsServer;
  let client: grpc.Client;
  before(async () => {
    server = await FakeOperationsServer.start();
    client = new grpc.Client(server.address, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  /** Starts GetOperation of `name` on `on` with the callback. */
  const start =
    (name: string, on: grpc.Client = client) =>
    (callback: UnaryCallback<RawOperation>) => {
      if (get === undefined) throw new Error('GetOperation is not in the service definition');
      return on.makeUnaryRequest<object, RawOperation>(
        get.path,
        get.requestSerialize,
        get.responseDeserialize as (bytes: Buffer) => RawOperation,
        { name },
        new grpc.Metadata(),
        { deadline: grpcDeadline(10_000) },
        callback,
      );
    };
  const toError = (error: grpc.ServiceError) =>
    RpcError.fromServiceError(error, server.registry, 'GetOperation');

  it('resolves with the response of the call', async () => {
    const op = server.create();
    const raw = await grpcUnaryCall({ method: 'GetOperation', start: start(op.name), toError });
    assert.equal(raw.name, op.name);
  });

  it('rejects with what toError makes of the server status', async () => {
    const error = await grpcUnaryCall({
      method: 'GetOperation',
      start: start('operations/none'),
      toError,
    }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(RpcError.is(error));
    assert.equal(error.code, Code.NOT_FOUND);
    assert.equal(error.method, 'GetOperation');
  });

  it('makes no call when the signal is already aborted', async () => {
    const before = server.calls.GetOperation;
    const reason = new Error('stop');
    await assert.rejects(
      grpcUnaryCall({
        method: 'GetOperation',
        start: start('operations/x'),
        toError,
        signal: AbortSignal.abort(reason),
      }),
      (e) => e === reason,
    );
    assert.equal(server.calls.GetOperation, before);
  });

  it('cancels the call in flight on abort, rejects with the reason and removes its listener', async () => {
    const op = server.create();
    server.latencyMs = 60_000;
    try {
      const controller = new AbortController();
      const before = server.calls.GetOperation;
      const pending = grpcUnaryCall({
        method: 'GetOperation',
        start: start(op.name),
        toError,
        signal: controller.signal,
      });
      await eventually(() => server.calls.GetOperation === before + 1, 'the call reaches the server');
      const reason = new Error('user abort');
      controller.abort(reason);
      await assert.rejects(pending, (e) => e === reason);
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    } finally {
      server.latencyMs = 0;
    }
  });

  it('removes its abort listener once the call settles', async () => {
    const op = server.create();
    const controller = new AbortController();
    await grpcUnaryCall({
      method: 'GetOperation',
      start: start(op.name),
      toError,
      signal: controller.signal,
    });
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('turns a synchronous throw of start (a closed channel) into the onThrow error', async () => {
    const closed = new grpc.Client(server.address, grpc.credentials.createInsecure());
    closed.close();
    const error = await grpcUnaryCall({
      method: 'GetOperation',
      start: start('operations/x', closed),
      toError,
      onThrow: (e) => new RpcError(Code.FAILED_PRECONDITION, String(e), [], 'GetOperation', e),
    }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(RpcError.is(error));
    assert.equal(error.code, Code.FAILED_PRECONDITION);
  });

  it('is INTERNAL when grpc-js reports success without a value, and settles only once', async () => {
    const error = await grpcUnaryCall<RawOperation>({
      method: 'GetOperation',
      start: (callback) => {
        callback(null, undefined);
        callback(null, { name: 'operations/late', done: true, metadata: null });
      },
      toError,
    }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.ok(RpcError.is(error));
    assert.equal(error.code, Code.INTERNAL);
  });

  it('settles from a returned promise when the method is promise-style', async () => {
    const raw: RawOperation = { name: 'operations/p', done: false, metadata: null };
    assert.equal(
      await grpcUnaryCall<RawOperation>({ method: 'StartX', start: () => Promise.resolve(raw), toError }),
      raw,
    );
  });
});

describe('grpcDeadline', () => {
  it('is Infinity without a time limit, and never in the past', () => {
    assert.equal(grpcDeadline(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
    const now = Date.now();
    assert.ok(grpcDeadline(-5) >= now);
  });

  it('is Infinity (no deadline) for a time past what a grpc-timeout header holds, and a real deadline up to it', () => {
    for (const huge of [MAX_DEADLINE_MS + 1, 4e14, 1e15, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE]) {
      assert.equal(grpcDeadline(huge), Number.POSITIVE_INFINITY, String(huge));
    }
    const before = Date.now();
    const deadline = grpcDeadline(MAX_DEADLINE_MS);
    assert.ok(deadline >= before + MAX_DEADLINE_MS && deadline <= Date.now() + MAX_DEADLINE_MS);
  });

  it('lets a call with the longest real deadline reach the server and be answered (grpc-js takes its timeout header)', async () => {
    const server = await FakeOperationsServer.start();
    const client = new grpc.Client(server.address, grpc.credentials.createInsecure());
    try {
      const h = server.create();
      for (const remaining of [MAX_DEADLINE_MS, Number.MAX_SAFE_INTEGER]) {
        const op = await grpcUnaryCall<RawOperation>({
          method: 'GetOperation',
          start: (callback) => {
            if (get === undefined) throw new Error('GetOperation is not in the service definition');
            return client.makeUnaryRequest<object, RawOperation>(
              get.path,
              get.requestSerialize,
              get.responseDeserialize as (bytes: Buffer) => RawOperation,
              { name: h.name },
              new grpc.Metadata(),
              { deadline: grpcDeadline(remaining) },
              callback,
            );
          },
          toError: (e) => e,
        });
        assert.equal(op.name, h.name);
      }
      assert.equal(server.calls.GetOperation, 2);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
