import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { inCollection, parseFilter } from '../../src/testing/list-pages.ts';
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

describe('inCollection', () => {
  it('holds <parent>/operations/<id> under its parent, and the names below a collection parent', () => {
    const p = 'projects/p/locations/l';
    assert.equal(inCollection(`${p}/operations/123`, p), true);
    assert.equal(inCollection('projects/p/locations/l2/operations/123', p), false, 'a sibling parent');
    assert.equal(inCollection(`${p}/jobs/123`, p), false, 'another collection of the parent');
    assert.equal(inCollection('operations/123', 'operations'), true);
    assert.equal(inCollection('operations2/123', 'operations'), false);
    assert.equal(inCollection('projects/p/operations/9', 'projects/p/operations'), true);
    assert.equal(inCollection('anything', ''), true, 'an empty parent holds every operation');
  });
});

describe('ListOperations over gRPC', () => {
  let server: FakeOperationsServer;
  let client: RawClient;
  const list = (req: object): Promise<RawListResponse> => client.call<RawListResponse>('ListOperations', req);

  before(async () => {
    server = await FakeOperationsServer.start();
    client = new RawClient(server.address);
    for (let i = 0; i < 1000; i++) server.create({ name: `jobs/operations/${String(i).padStart(4, '0')}` });
    for (let i = 0; i < 1000; i += 4)
      server.store.update(`jobs/operations/${String(i).padStart(4, '0')}`, { done: true });
    server.create({ name: 'other/operations/1' });
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
      const page = await list({ name: 'jobs', pageSize: 100, pageToken });
      assert.ok(page.operations.length <= 100);
      assert.deepEqual(page.unreachable, []);
      names.push(...page.operations.map((op) => op.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    assert.equal(server.calls.ListOperations, 10);
    assert.deepEqual(
      names,
      Array.from({ length: 1000 }, (_, i) => `jobs/operations/${String(i).padStart(4, '0')}`),
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
      ['other/operations/1'],
    );
    assert.equal(rest.nextPageToken, '');
  });

  it('filters by done state', async () => {
    const done = await list({ name: 'jobs', filter: 'done = true', pageSize: 1000 });
    assert.equal(done.operations.length, 250);
    assert.ok(done.operations.every((op) => op.done));
    const running = await list({ name: 'jobs', filter: 'done=false', pageSize: 1000 });
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
    const page = await list({ name: 'jobs', pageSize: 10 });
    for (const req of [
      { pageToken: 'not-a-token' },
      { pageToken: Buffer.from('{"after":-1}').toString('base64url') },
      { name: 'other', pageToken: page.nextPageToken },
      { name: 'jobs', filter: 'done=true', pageToken: page.nextPageToken },
    ]) {
      const err = await client.error('ListOperations', req);
      assert.equal(err.code, grpc.status.INVALID_ARGUMENT, JSON.stringify(req));
      assert.equal(err.details, 'invalid page_token');
    }
    const next = await list({ name: 'jobs', pageSize: 20, pageToken: page.nextPageToken });
    assert.equal(next.operations[0]?.name, 'jobs/operations/0010', 'the page size may change between pages');
  });
});

describe('ListOperations by parent', () => {
  it('lists the operations of the parent only, not those of a parent whose name starts the same', async () => {
    const server = await FakeOperationsServer.start();
    const client = new RawClient(server.address);
    try {
      server.create({ name: 'projects/p/locations/l/operations/a' });
      server.create({ name: 'projects/p/locations/l2/operations/b' });
      server.create({ name: 'operations/c' });
      const names = async (name: string) =>
        (await client.call<RawListResponse>('ListOperations', { name })).operations.map((op) => op.name);
      assert.deepEqual(await names('projects/p/locations/l'), ['projects/p/locations/l/operations/a']);
      assert.deepEqual(await names('operations'), ['operations/c']);
      assert.equal((await names('')).length, 3);
    } finally {
      client.close();
      await server.stop();
    }
  });
});
