import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { builtinRoot, decodeMessage, encodeMessage } from '../../src/proto/builtin.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { OperationStore } from '../../src/testing/operation-store.ts';
import type { RawOperation } from '../../src/wire/types.ts';

const registry = createRegistry();
const operationType = builtinRoot().lookupType('google.longrunning.Operation');
const roundTrip = (op: RawOperation): RawOperation =>
  decodeMessage<RawOperation>(operationType, encodeMessage(operationType, op));

describe('OperationStore', () => {
  it('stores snapshots in exactly the shape a client decodes off the wire', () => {
    const store = new OperationStore();
    const running = store.create('operations/a', { metadata: registry.pack('google.protobuf.Empty', {}) });
    assert.deepEqual(running, roundTrip(running));
    assert.equal('error' in running, false);
    const failed = store.update('operations/a', {
      done: true,
      error: { code: 9, message: 'no', details: [registry.pack('google.rpc.ErrorInfo', { reason: 'R' })] },
    });
    assert.ok(failed);
    assert.deepEqual(failed, roundTrip(failed));
    assert.equal(failed.result, 'error');
    const succeeded = store.update('operations/a', {
      error: null,
      response: { type_url: 'type.googleapis.com/x.Y', value: new Uint8Array([1, 2]) },
    });
    assert.ok(succeeded);
    assert.deepEqual(succeeded, roundTrip(succeeded));
    assert.ok(Buffer.isBuffer(succeeded.response?.value), 'bytes are normalised to Buffer');
  });

  it('freezes snapshots, so an earlier read never changes', () => {
    const store = new OperationStore();
    const before = store.create('operations/a');
    store.update('operations/a', { done: true });
    assert.equal(before.done, false);
    assert.ok(Object.isFrozen(before));
    assert.equal(store.get('operations/a')?.done, true);
  });

  it('rejects an empty or duplicate name on create and returns undefined for unknown names elsewhere', () => {
    const store = new OperationStore();
    store.create('operations/a');
    assert.throws(() => store.create('operations/a'), /already exists/);
    assert.throws(() => store.create(''), TypeError);
    assert.equal(store.get('operations/x'), undefined);
    assert.equal(store.update('operations/x', { done: true }), undefined);
    assert.equal(store.cancel('operations/x'), undefined);
    assert.equal(store.delete('operations/x'), false);
  });

  it('cancels a running operation with CANCELLED and leaves a done one unchanged', () => {
    const store = new OperationStore();
    store.create('operations/a');
    const cancelled = store.cancel('operations/a');
    assert.equal(cancelled?.done, true);
    assert.deepEqual(cancelled?.error, { code: 1, message: 'operation cancelled', details: [] });
    const version = store.version;
    const seen: unknown[] = [];
    store.subscribe('operations/a', (op) => seen.push(op));
    assert.equal(store.cancel('operations/a'), cancelled);
    assert.equal(store.version, version, 'no change');
    assert.deepEqual(seen, []);
  });

  it('notifies subscribers of every change, undefined on delete, until unsubscribed', () => {
    const store = new OperationStore();
    const seen: (boolean | undefined)[] = [];
    const unsubscribe = store.subscribe('operations/a', (op) => seen.push(op?.done));
    store.create('operations/a');
    store.update('operations/a', { done: true });
    store.delete('operations/a');
    unsubscribe();
    store.create('operations/a');
    assert.deepEqual(seen, [false, true, undefined]);
    assert.equal(store.listenerCount('operations/a'), 0);
  });

  it('runs every listener even when one throws, then rethrows after applying the change', () => {
    const store = new OperationStore();
    store.create('operations/a');
    let reached = false;
    store.subscribe('operations/a', () => {
      throw new Error('listener broke');
    });
    store.subscribe('operations/a', () => {
      reached = true;
    });
    assert.throws(() => store.update('operations/a', { done: true }), /listener broke/);
    assert.ok(reached);
    assert.equal(store.get('operations/a')?.done, true);
  });

  it('lists by name prefix and done state in creation order', () => {
    const store = new OperationStore();
    for (const name of ['a/1', 'b/1', 'a/2', 'a/3']) store.create(name);
    store.update('a/2', { done: true });
    const names = (ops: RawOperation[]): string[] => ops.map((op) => op.name);
    assert.deepEqual(names(store.list()), ['a/1', 'b/1', 'a/2', 'a/3']);
    assert.deepEqual(names(store.list('a/')), ['a/1', 'a/2', 'a/3']);
    assert.deepEqual(names(store.list('a/', { done: false })), ['a/1', 'a/3']);
    assert.deepEqual(names(store.list('', { done: true })), ['a/2']);
  });

  it('pages with stable cursors across deletes, completions and creations', () => {
    const store = new OperationStore();
    for (let i = 0; i < 6; i++) store.create(`op/${i}`);
    const first = store.page('', {}, 0, 2);
    assert.deepEqual(
      first.operations.map((op) => op.name),
      ['op/0', 'op/1'],
    );
    assert.equal(first.more, true);
    store.delete('op/0');
    store.update('op/2', { done: true });
    store.create('op/6');
    const second = store.page('', {}, first.cursor, 3);
    assert.deepEqual(
      second.operations.map((op) => op.name),
      ['op/2', 'op/3', 'op/4'],
    );
    const last = store.page('', {}, second.cursor, 2);
    assert.deepEqual(
      last.operations.map((op) => op.name),
      ['op/5', 'op/6'],
    );
    assert.equal(last.more, false, 'an exactly full last page says there is no more');
  });
});
