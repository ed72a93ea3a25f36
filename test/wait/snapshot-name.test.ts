import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { Code } from '../../src/wire/code.ts';
import { RpcError } from '../../src/wire/errors.ts';
import { operationBytes, rawGrpcServer, rawHttpServer } from '../client/raw-answers.ts';

const MINE = 'operations/mine';
const THEIRS = 'operations/someone-elses-op';

/** True for the RpcError INTERNAL of `method` that names the requested operation and `returned`. */
const mismatch = (method: string, returned: string) => (e: unknown) =>
  RpcError.is(e) &&
  e.code === Code.INTERNAL &&
  e.method === method &&
  e.message.includes(`"${MINE}"`) &&
  e.message.includes(returned);

describe('a snapshot answering for another operation', () => {
  it('is rejected over gRPC by poll(), wait() and getOperation(), naming both, and the handle keeps its name and snapshot', async () => {
    const server = await rawGrpcServer(() => operationBytes({ name: THEIRS, done: false }));
    const client = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
    });
    try {
      const op = client.operation(MINE);
      const before = op.raw;
      await assert.rejects(op.poll(), mismatch('GetOperation', `"${THEIRS}"`));
      await assert.rejects(op.wait({ strategy: 'poll' }), mismatch('GetOperation', `"${THEIRS}"`));
      await assert.rejects(op.wait({ strategy: 'wait' }), mismatch('WaitOperation', `"${THEIRS}"`));
      await assert.rejects(client.getOperation(MINE), mismatch('GetOperation', `"${THEIRS}"`));
      await assert.rejects(
        client.waitOperation(MINE, { timeoutMs: 1000 }),
        mismatch('WaitOperation', `"${THEIRS}"`),
      );
      assert.equal(op.name, MINE);
      assert.equal(op.raw, before, 'the snapshot is unchanged');
    } finally {
      client.close();
      await server.stop();
    }
  });

  it('is rejected over HTTP/JSON, and an empty 200 body counts as an unnamed operation', async () => {
    for (const [body, returned] of [
      [JSON.stringify({ name: THEIRS }), `"${THEIRS}"`],
      ['{}', 'an unnamed operation'],
    ] as const) {
      const server = await rawHttpServer(() => body);
      const client = new OperationsRestClient({ baseUrl: server.url });
      try {
        const op = client.operation(MINE);
        await assert.rejects(op.poll(), mismatch('GetOperation', returned), body);
        await assert.rejects(op.wait(), mismatch('GetOperation', returned), body);
        await assert.rejects(client.getOperation(MINE), mismatch('GetOperation', returned), body);
        assert.equal(op.name, MINE);
        assert.equal(op.done, false);
        assert.deepEqual(server.requests, Array(3).fill(`GET /v1/${MINE}`), 'one request each, no retry');
      } finally {
        client.close();
        await server.close();
      }
    }
  });
});

describe('a listed operation without a name', () => {
  it('fails listOperations and listAllOperations with RpcError INTERNAL saying which, instead of an unusable handle', async () => {
    const server = await rawGrpcServer(
      () => operationBytes({ name: MINE }),
      () => ({ operations: [{ name: MINE }, { done: true }] }),
    );
    const client = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
    });
    const unnamed = (e: unknown) =>
      RpcError.is(e) &&
      e.code === Code.INTERNAL &&
      e.method === 'ListOperations' &&
      e.message.includes('unnamed operation (number 2 of 2 on the page)');
    try {
      await assert.rejects(client.listOperations(), unnamed);
      const seen: string[] = [];
      await assert.rejects(async () => {
        for await (const op of client.listAllOperations()) seen.push(op.name);
      }, unnamed);
      assert.deepEqual(seen, [], 'the page fails whole');
    } finally {
      client.close();
      await server.stop();
    }
  });
});
