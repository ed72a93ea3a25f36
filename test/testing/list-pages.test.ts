import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { parseFilter } from '../../src/testing/list-pages.ts';
import type { RawListResponse } from '../../src/wire/types.ts';
import { RawClient } from './raw-client.ts';

describe('parseFilter', () => {
  it('accepts empty, done=true and done=false with blanks around =, and nothing else', () => {
    assert.deepEqual(parseFilter(''), {});
    assert.deepEqual(parseFilter('  '), {});
    assert.deepEqual(parseFilter('done=true'), { done: true });
    assert.deepEqual(parseFilter(' done = false '), { done: false });
    for (const bad of ['done', 'done=yes', 'name="x"', 'done=true AND done=false', 'DONE=true']) {
      assert.equal(parseFilter(bad), undefined, bad);
    }
  });
});

describe('ListOperations over gRPC', () => {
  let server: FakeOperationsServer;
  let client: RawClient;
  const list = (req: object): Promise<RawListResponse> => client.call<RawListResponse>('ListOperations', req);

  before(async () => {
    server = await FakeOperationsServer.start();
    client = new RawClient(server.address);
    for (let i = 0; i < 1000; i++) server.create({ name: `jobs/${String(i).padStart(4, '0')}` });
    for (let i = 0; i < 1000; i += 4)
      server.store.update(`jobs/${String(i).padStart(4, '0')}`, { done: true });
    server.create({ name: 'other/1' });
  });

  after(async () => {
    client.close();
    await server.stop();
  });

  it('pages 1,000 operations at pageSize 100 in exactly 10 calls, in creation order', async () => {
    server.resetCounters();
    const names: string[] = [];
    let pageToken = '';
    do {
      const page = await list({ name: 'jobs/', pageSize: 100, pageToken });
      assert.ok(page.operations.length <= 100);
      assert.deepEqual(page.unreachable, []);
      names.push(...page.operations.map((op) => op.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    assert.equal(server.calls.ListOperations, 10);
    assert.deepEqual(
      names,
      Array.from({ length: 1000 }, (_, i) => `jobs/${String(i).padStart(4, '0')}`),
    );
  });

  it('uses 100 for pageSize 0 and caps pages at 1000', async () => {
    const defaulted = await list({});
    assert.equal(defaulted.operations.length, 100);
    assert.notEqual(defaulted.nextPageToken, '');
    const capped = await list({ pageSize: 5000 });
    assert.equal(capped.operations.length, 1000);
    const rest = await list({ pageSize: 5000, pageToken: capped.nextPageToken });
    assert.deepEqual(
      rest.operations.map((op) => op.name),
      ['other/1'],
    );
    assert.equal(rest.nextPageToken, '');
  });

  it('filters by done state', async () => {
    const done = await list({ name: 'jobs/', filter: 'done = true', pageSize: 1000 });
    assert.equal(done.operations.length, 250);
    assert.ok(done.operations.every((op) => op.done));
    const running = await list({ name: 'jobs/', filter: 'done=false', pageSize: 1000 });
    assert.equal(running.operations.length, 750);
    assert.ok(running.operations.every((op) => !op.done));
    assert.equal(running.nextPageToken, '');
  });

  it('rejects an unsupported filter with INVALID_ARGUMENT naming it', async () => {
    const err = await client.error('ListOperations', { filter: 'state=RUNNING' });
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err.details, /state=RUNNING/);
  });

  it('rejects a garbage page token or one issued for another query with INVALID_ARGUMENT', async () => {
    const page = await list({ name: 'jobs/', pageSize: 10 });
    for (const req of [
      { pageToken: 'not-a-token' },
      { pageToken: Buffer.from('{"after":-1}').toString('base64url') },
      { name: 'other/', pageToken: page.nextPageToken },
      { name: 'jobs/', filter: 'done=true', pageToken: page.nextPageToken },
    ]) {
      const err = await client.error('ListOperations', req);
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT, JSON.stringify(req));
      assert.equal(err.details, 'invalid page_token');
    }
    const next = await list({ name: 'jobs/', pageSize: 20, pageToken: page.nextPageToken });
    assert.equal(next.operations[0]?.name, 'jobs/0010', 'the page size may change between pages');
  });
});
