/** A row of the many-operations view: what it takes from snapshots and shows at a given time. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { FleetRow, rowSnapshotOf } from '../../src/cli/fleet-row.ts';
import { OperationsClient } from '../../src/client/grpc-client.ts';

const METADATA = 'longrunning.demo.v1.ExportMetadata';

describe('fleet row', () => {
  // No RPC is made: handles are built from snapshots (a grpc-js channel connects only on a call).
  const client = new OperationsClient({
    address: '127.0.0.1:1',
    credentials: grpc.credentials.createInsecure(),
  });
  after(() => client.close());
  const metadata = (value: object) => client.registry.pack(METADATA, value);

  it('reads state, progress and the metadata state word of a snapshot, never throwing', () => {
    const running = client.operation({
      name: 'operations/r',
      done: false,
      metadata: metadata({ progressPercent: 30, state: 'EXPORTING' }),
    });
    assert.deepEqual(rowSnapshotOf(running), { state: 'RUNNING', progress: 30, detail: 'EXPORTING' });
    const plain = client.operation({
      name: 'operations/p',
      done: false,
      metadata: metadata({ state: 'RUNNING' }),
    });
    // Decoded with defaults: an unset progress_percent reads 0.
    assert.deepEqual(rowSnapshotOf(plain), { state: 'RUNNING', progress: 0, detail: undefined });
    const undecodable = client.operation({
      name: 'operations/u',
      done: false,
      metadata: { type_url: 'type.googleapis.com/acme.Unknown', value: Buffer.from([1]) },
    });
    assert.deepEqual(rowSnapshotOf(undecodable), {
      state: 'RUNNING',
      progress: undefined,
      detail: undefined,
    });
    const failed = client.operation({
      name: 'operations/f',
      done: true,
      metadata: metadata({ progressPercent: 40 }),
      error: { code: 10, message: 'gone', details: [] },
    });
    assert.deepEqual(rowSnapshotOf(failed), { state: 'FAILED', progress: 40, detail: 'ABORTED: gone' });
    const cancelled = client.operation({
      name: 'operations/c',
      done: true,
      error: { code: 1, message: 'stop' },
    });
    assert.equal(rowSnapshotOf(cancelled).state, 'CANCELLED');
  });

  it('ticks elapsed time and the ETA while running, and freezes elapsed time when it ends', () => {
    const row = new FleetRow('operations/a', 1000);
    assert.deepEqual(row.view(1500), {
      name: 'operations/a',
      state: 'RUNNING',
      progress: undefined,
      etaMs: undefined,
      elapsedMs: 500,
      detail: undefined,
    });
    row.update({ state: 'RUNNING', progress: 10, detail: undefined }, 2000);
    row.update({ state: 'RUNNING', progress: 30, detail: 'EXPORTING' }, 4000); // 10 % a second
    assert.deepEqual(row.view(5000), {
      name: 'operations/a',
      state: 'RUNNING',
      progress: 30,
      etaMs: 6000,
      elapsedMs: 4000,
      detail: 'EXPORTING',
    });
    row.update({ state: 'RUNNING', progress: undefined, detail: undefined }, 5500);
    assert.equal(row.view(5500).progress, 30, 'a snapshot without progress keeps the last one');
    row.update({ state: 'DONE', progress: 100, detail: undefined }, 7000);
    assert.equal(row.ended, true);
    assert.deepEqual(row.view(60_000), {
      name: 'operations/a',
      state: 'DONE',
      progress: 100,
      etaMs: undefined,
      elapsedMs: 6000,
      detail: undefined,
    });
    row.end('ERROR', 'late', 70_000);
    assert.equal(row.state, 'DONE', 'an ended row keeps its state');
  });

  it('ends without a done snapshot as TIMEOUT or ERROR, and shows no elapsed time when never waited on', () => {
    const row = new FleetRow('operations/t', 0);
    row.end('TIMEOUT', undefined, 3000);
    assert.equal(row.view(9000).state, 'TIMEOUT');
    assert.equal(row.view(9000).elapsedMs, 3000);
    const listed = new FleetRow('operations/l', undefined);
    listed.update({ state: 'DONE', progress: undefined, detail: undefined }, 5000);
    assert.equal(listed.view(9000).elapsedMs, undefined);
  });
});
