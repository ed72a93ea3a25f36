import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { FaultQueue, RpcFailure } from '../../src/testing/faults.ts';

describe('RpcFailure.withHeaders', () => {
  it('quotes the values of its echoHeaders the call sent after its message, and is itself when it echoes none', () => {
    const failure = new RpcFailure(7, 'denied', undefined, ['authorization', 'x-goog-api-key']);
    const echoed = failure.withHeaders({ authorization: 'Bearer t0k3n', 'x-other': 'kept out' });
    assert.equal(echoed.message, 'denied (authorization: Bearer t0k3n)');
    assert.equal(echoed.code, 7);
    assert.equal(failure.withHeaders({ 'x-other': 'v' }), failure);
    assert.equal(failure.withHeaders(undefined), failure);
    const plain = new RpcFailure(5, 'missing');
    assert.equal(plain.withHeaders({ authorization: 'x' }), plain);
  });

  it('is carried by injected faults', () => {
    const queue = new FaultQueue();
    queue.add({ method: 'GetOperation', code: 7, echoHeaders: ['authorization'] });
    assert.deepEqual(queue.take('GetOperation')?.echoHeaders, ['authorization']);
  });
});

describe('a fault with echoHeaders on the fake server', () => {
  it("answers a gRPC call with the request's header values in its status message", async () => {
    const server = await FakeOperationsServer.start();
    const client = new grpc.Client(server.address, grpc.credentials.createInsecure());
    try {
      server.inject({ method: 'GetOperation', code: 7, message: 'no', echoHeaders: ['authorization'] });
      const metadata = new grpc.Metadata();
      metadata.set('authorization', 'Bearer echo-me');
      const error = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.makeUnaryRequest(
          '/google.longrunning.Operations/GetOperation',
          () => Buffer.alloc(0),
          (b: Buffer) => b,
          {},
          metadata,
          (e) => resolve(e),
        ),
      );
      assert.equal(error?.code, 7);
      assert.equal(error?.details, 'no (authorization: Bearer echo-me)');
    } finally {
      client.close();
      await server.stop();
    }
  });
});
