import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isObject } from '../../src/base/is-object.ts';

describe('isObject', () => {
  it('accepts plain objects and records, whatever their prototype', () => {
    assert.equal(isObject({}), true);
    assert.equal(isObject({ '@type': 'x' }), true);
    assert.equal(isObject(Object.create(null)), true);
  });

  it('rejects null, arrays and every scalar, as proto3 JSON tells a message from them', () => {
    for (const x of [null, undefined, [], [1], 'a', 1, true, 1n]) assert.equal(isObject(x), false, String(x));
  });
});
