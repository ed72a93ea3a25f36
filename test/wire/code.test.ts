import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Code, codeFromHttpStatus, codeName } from '../../src/wire/code.ts';

describe('codes', () => {
  it('agree with grpc-js numbers and names', () => {
    for (const [name, value] of Object.entries(grpc.status)) {
      if (typeof value === 'number') {
        assert.equal(codeName(value), name);
        assert.equal(Code[name as keyof typeof Code], value);
      }
    }
  });

  it('name codes outside the canonical set without throwing', () => {
    assert.equal(codeName(99), 'CODE_99');
    assert.equal(codeName(-1), 'CODE_-1');
  });

  it('map HTTP statuses by the standard table', () => {
    const table: [number, number][] = [
      [400, 3],
      [401, 16],
      [403, 7],
      [404, 5],
      [409, 10],
      [429, 8],
      [499, 1],
      [500, 13],
      [501, 12],
      [503, 14],
      [504, 4],
      [418, 2],
      [502, 2],
    ];
    for (const [http, code] of table) assert.equal(codeFromHttpStatus(http), code, `HTTP ${http}`);
  });
});
