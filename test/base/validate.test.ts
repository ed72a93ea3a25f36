import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { checkCount, checkPageSize, MAX_PAGE_SIZE } from '../../src/base/validate.ts';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { OperationsRestClient } from '../../src/client/rest-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';

describe('pageSize', () => {
  let server: FakeOperationsServer;
  let clients: { title: string; client: OperationsClient | OperationsRestClient }[];
  before(async () => {
    server = await FakeOperationsServer.start({ http: true });
    clients = [
      {
        title: 'gRPC',
        client: new OperationsClient({
          address: server.address,
          credentials: grpc.credentials.createInsecure(),
        }),
      },
      { title: 'REST', client: new OperationsRestClient({ baseUrl: server.httpUrl }) },
    ];
  });
  after(async () => {
    for (const { client } of clients) client.close();
    await server.stop();
  });

  it('is a RangeError naming pageSize, before any RPC, when int32 cannot hold it or it is not whole', async () => {
    for (const { title, client } of clients) {
      for (const pageSize of [2 ** 31, 2 ** 32 + 5, 1.5, -1, Number.POSITIVE_INFINITY]) {
        await assert.rejects(client.listOperations({ pageSize }), (e: unknown) => {
          assert.ok(e instanceof RangeError, `${title} ${pageSize}: ${String(e)}`);
          assert.match(e.message, /^pageSize must be a whole number from 0 to 2147483647/);
          return true;
        });
      }
    }
    assert.equal(server.calls.ListOperations, 0);
    assert.equal(server.httpRequests.length, 0);
  });

  it('sends the largest int32 as is', async () => {
    server.create();
    for (const { client } of clients) {
      const page = await client.listOperations({ pageSize: MAX_PAGE_SIZE });
      assert.ok(page.operations.length >= 1);
    }
  });
});

describe('checkCount', () => {
  it('says "whole number", not milliseconds, and names the option', () => {
    assert.throws(
      () => checkCount('3', 'maxWaitCalls'),
      /^TypeError: maxWaitCalls must be a whole number \(got "3"\)$/,
    );
    assert.throws(() => checkPageSize(2.5), RangeError);
    assert.equal(checkCount(0, 'n'), 0);
  });
});
