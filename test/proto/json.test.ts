import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  anyFromJson,
  anyToJson,
  durationToJson,
  isJsonOperation,
  operationFromJson,
  operationToJson,
} from '../../src/proto/json.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { DecodeError, UnknownTypeError } from '../../src/wire/errors.ts';

const registry = createRegistry();
const url = (name: string): string => `type.googleapis.com/${name}`;

describe('proto3 JSON mapping', () => {
  it('converts a JSON Operation into the snapshot gRPC decodes, and back', () => {
    const packed = registry.pack('longrunning.demo.v1.ExportMetadata', {
      progressPercent: 5,
      rowsProcessed: '7',
    });
    const json = {
      name: 'operations/j',
      done: true,
      metadata: {
        '@type': url('longrunning.demo.v1.ExportMetadata'),
        progressPercent: 5,
        rowsProcessed: '7',
      },
      error: {
        code: 9,
        message: 'locked',
        details: [{ '@type': url('google.rpc.ErrorInfo'), reason: 'LOCKED', domain: 'd' }],
      },
    };
    const raw = operationFromJson(json, registry);
    assert.deepEqual(raw.metadata, packed);
    assert.equal(raw.result, 'error');
    assert.equal(raw.error?.code, 9);
    assert.deepEqual(registry.unpack(raw.error?.details[0] ?? packed), {
      reason: 'LOCKED',
      domain: 'd',
      metadata: {},
    });
    assert.deepEqual(operationToJson(raw, registry), json);
    assert.deepEqual(operationFromJson({ name: 'operations/min' }, registry), {
      name: 'operations/min',
      metadata: null,
      done: false,
    });
    assert.throws(() => operationFromJson('nope', registry), TypeError);
  });

  it('keeps an unknown @type raw: reading throws UnknownTypeError, tryUnpack gives undefined, the JSON is kept', () => {
    const any = anyFromJson({ '@type': url('acme.Unknown'), a: 1 }, registry);
    assert.equal(any.type_url, url('acme.Unknown'));
    assert.throws(
      () => registry.unpack(any),
      (e: unknown) => UnknownTypeError.is(e) && e.typeUrl === any.type_url,
    );
    assert.equal(registry.tryUnpack(any), undefined);
    assert.deepEqual(JSON.parse(any.value.toString()), { '@type': url('acme.Unknown'), a: 1 });
    assert.throws(() => registry.unpack(anyFromJson({ a: 1 }, registry)), /without "@type"/);
    assert.deepEqual(
      Object.keys(JSON.parse(JSON.stringify(any))),
      ['type_url', 'value'],
      'JSON shows no outcome',
    );
  });

  it('holds a value that does not convert as a DecodeError, read lazily', () => {
    const any = anyFromJson({ '@type': url('google.rpc.RetryInfo'), retryDelay: 'soon' }, registry);
    assert.throws(
      () => registry.unpack(any),
      (e: unknown) => DecodeError.is(e) && /Duration/.test(e.message),
    );
    assert.throws(() => registry.tryUnpack(any), DecodeError);
    assert.throws(
      () => createRegistry().unpack({ ...any }),
      (e: unknown) => DecodeError.is(e) && /Duration/.test(e.message),
      'a copy, read by another registry, keeps the outcome (its JSON bytes are never decoded as protobuf)',
    );
  });

  it('maps the well-known types to their JSON forms both ways', () => {
    const cases: [string, Record<string, unknown>, unknown][] = [
      [
        'google.rpc.RetryInfo',
        { retryDelay: '1.500s' },
        { retryDelay: { seconds: '1', nanos: 500_000_000 } },
      ],
      ['google.protobuf.Duration', { value: '-0.000001s' }, { seconds: '0', nanos: -1000 }],
      [
        'google.protobuf.Timestamp',
        { value: '2024-01-02T03:04:05.120Z' },
        { seconds: '1704164645', nanos: 120_000_000 },
      ],
      ['google.protobuf.FieldMask', { value: 'fooBar,x.yZ' }, { paths: ['foo_bar', 'x.y_z'] }],
      ['google.protobuf.Int64Value', { value: '42' }, { value: '42' }],
      ['google.protobuf.Struct', { value: { a: [1, 'b', null, { c: true }] } }, undefined],
    ];
    for (const [type, fields, decoded] of cases) {
      const json = { '@type': url(type), ...fields };
      const any = anyFromJson(json, registry);
      if (decoded !== undefined) assert.deepEqual(registry.unpack(any), decoded, type);
      assert.deepEqual(anyToJson(any, registry), json, type);
    }
    assert.deepEqual(
      anyToJson(
        anyFromJson(
          { '@type': url('google.protobuf.Timestamp'), value: '2024-01-02T05:04:05+02:00' },
          registry,
        ),
        registry,
      ),
      { '@type': url('google.protobuf.Timestamp'), value: '2024-01-02T03:04:05Z' },
    );
  });

  it('formats durations and tells JSON operations from decoded ones', () => {
    assert.deepEqual([0, 1, 1500, 30_000].map(durationToJson), ['0s', '0.001s', '1.5s', '30s']);
    assert.equal(isJsonOperation({ name: 'a', metadata: { '@type': 'x' } }), true);
    assert.equal(isJsonOperation({ name: 'a', metadata: { type_url: 'x', value: Buffer.alloc(0) } }), false);
    assert.equal(isJsonOperation({ name: 'a' }), false);
  });

  it('refuses to show an Any whose string is cut short as JSON, with DecodeError naming its type', () => {
    const typeUrl = 'type.googleapis.com/google.rpc.ErrorInfo';
    const cut = { type_url: typeUrl, value: Buffer.from([0x0a, 0x05, 0x41]) };
    assert.throws(
      () => anyToJson(cut, registry),
      (e: unknown) => DecodeError.is(e) && e.typeUrl === typeUrl && /truncated/.test(e.message),
    );
    const raw = operationFromJson({ name: 'operations/cut', done: false }, registry);
    assert.throws(
      () => operationToJson({ ...raw, metadata: cut }, registry),
      DecodeError.is.bind(DecodeError),
    );
  });
});
