import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { createRegistry, unpackAs } from '../../src/proto/registry.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { DecodeError, UnknownTypeError } from '../../src/wire/errors.ts';

const registry = createRegistry();

/** A representative value of every google.rpc error detail type, in __Output shape. */
const ERROR_DETAILS: Record<string, object> = {
  'google.rpc.ErrorInfo': { reason: 'QUOTA', domain: 'example.com', metadata: { k: 'v' } },
  'google.rpc.RetryInfo': { retryDelay: { seconds: '1', nanos: 500 } },
  'google.rpc.DebugInfo': { stackEntries: ['a', 'b'], detail: 'd' },
  'google.rpc.QuotaFailure': {
    violations: [
      {
        subject: 's',
        description: 'd',
        apiService: 'api',
        quotaMetric: 'm',
        quotaId: 'q',
        quotaDimensions: { region: 'eu' },
        quotaValue: '10',
        futureQuotaValue: '20',
        _futureQuotaValue: 'futureQuotaValue',
      },
    ],
  },
  'google.rpc.PreconditionFailure': { violations: [{ type: 'TOS', subject: 's', description: 'd' }] },
  'google.rpc.BadRequest': {
    fieldViolations: [
      {
        field: 'f',
        description: 'd',
        reason: 'R',
        localizedMessage: { locale: 'en', message: 'm' },
      },
    ],
  },
  'google.rpc.RequestInfo': { requestId: 'r', servingData: 's' },
  'google.rpc.ResourceInfo': { resourceType: 't', resourceName: 'n', owner: 'o', description: 'd' },
  'google.rpc.Help': { links: [{ description: 'd', url: 'https://example.com' }] },
  'google.rpc.LocalizedMessage': { locale: 'en-US', message: 'm' },
};

describe('createRegistry', () => {
  for (const [typeName, value] of Object.entries(ERROR_DETAILS)) {
    it(`round-trips ${typeName} through pack and unpack`, () => {
      const any = registry.pack(typeName, value);
      assert.equal(any.type_url, `type.googleapis.com/${typeName}`);
      assert.ok(Buffer.isBuffer(any.value));
      assert.deepEqual(registry.unpack(any), value);
    });
  }

  it('round-trips the demo types with longs as strings and defaults filled in', () => {
    const meta = registry.pack('longrunning.demo.v1.ExportMetadata', {
      progressPercent: 40,
      rowsProcessed: '4000',
    });
    assert.deepEqual(registry.unpack(meta), { progressPercent: 40, rowsProcessed: '4000', state: '' });
    const result = registry.pack('longrunning.demo.v1.ExportResult', { uri: 'export://t', rowCount: 9 });
    assert.deepEqual(registry.unpack(result), { uri: 'export://t', rowCount: '9' });
  });

  it('preloads the well-known types, google.rpc and google.longrunning', () => {
    for (const name of [
      'google.protobuf.Timestamp',
      'google.protobuf.Struct',
      'google.protobuf.Duration',
      'google.protobuf.Empty',
      'google.rpc.Status',
      'google.longrunning.Operation',
      'google.longrunning.OperationInfo',
    ]) {
      assert.ok(registry.has(name), name);
    }
    assert.equal(registry.lookup('no.such.Type'), undefined);
    assert.equal(registry.has('google.rpc'), false, 'a package is not a message type');
  });

  it('accepts any type URL prefix', () => {
    const any = registry.pack('google.rpc.LocalizedMessage', { locale: 'fr', message: 'x' });
    const custom = { type_url: 'example.com/a/b/google.rpc.LocalizedMessage', value: any.value };
    assert.deepEqual(registry.unpack(custom), { locale: 'fr', message: 'x' });
    assert.equal(registry.typeName(custom), 'google.rpc.LocalizedMessage');
  });

  it('rejects a type URL without a slash as an invalid type url', () => {
    const any = { type_url: 'google.rpc.ErrorInfo', value: Buffer.alloc(0) };
    assert.throws(
      () => registry.unpack(any),
      (e: unknown) => {
        assert.ok(UnknownTypeError.is(e));
        assert.match(e.message, /^invalid type url "google\.rpc\.ErrorInfo"/);
        return true;
      },
    );
  });

  it('names the URL of an unknown type', () => {
    const any = { type_url: 'type.googleapis.com/acme.v1.Missing', value: Buffer.alloc(0) };
    assert.throws(
      () => registry.unpack(any),
      (e: unknown) => {
        assert.ok(UnknownTypeError.is(e));
        assert.equal(e.typeUrl, 'type.googleapis.com/acme.v1.Missing');
        assert.match(e.message, /acme\.v1\.Missing/);
        return true;
      },
    );
    assert.equal(registry.tryUnpack(any), undefined);
    assert.equal(registry.tryUnpack(null), undefined);
    assert.equal(registry.tryUnpack(undefined), undefined);
  });

  it('names the type whose bytes are corrupt', () => {
    const any = { type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: Buffer.from([0x0a, 0xff]) };
    assert.throws(
      () => registry.unpack(any),
      (e: unknown) => {
        assert.ok(DecodeError.is(e));
        assert.equal(e.typeUrl, 'type.googleapis.com/google.rpc.ErrorInfo');
        assert.match(e.message, /google\.rpc\.ErrorInfo/);
        assert.ok(e.cause instanceof Error);
        return true;
      },
    );
  });

  it('rejects a string cut short with DecodeError instead of decoding the bytes there are', () => {
    const typeUrl = 'type.googleapis.com/google.rpc.ErrorInfo';
    for (const value of [Buffer.from([0x0a, 0x05, 0x41]), new Uint8Array([0x0a, 0x05, 0x41])]) {
      const any = { type_url: typeUrl, value };
      for (const read of [() => registry.unpack(any), () => registry.tryUnpack(any)]) {
        assert.throws(read, (e: unknown) => {
          assert.ok(DecodeError.is(e), String(e));
          assert.equal(e.typeUrl, typeUrl);
          assert.match(e.message, /truncated|out of range/);
          return true;
        });
      }
    }
  });

  it('rejects every cut inside a string, top-level or nested, and accepts every cut between fields', () => {
    const whole = registry.pack('google.rpc.BadRequest', {
      fieldViolations: [{ field: 'name', description: 'must be set' }],
    }).value;
    const fieldViolation = whole.subarray(2); // after the tag and length of field_violations[0]
    const outer = {
      type_url: 'type.googleapis.com/google.rpc.BadRequest.FieldViolation',
      value: fieldViolation,
    };
    assert.deepEqual(registry.unpack(outer), {
      field: 'name',
      description: 'must be set',
      reason: '',
      localizedMessage: null,
    });
    // FieldViolation bytes: 0a 04 'name' 12 0b 'must be set'; cuts at 0 and 6 end between fields.
    for (let cut = 0; cut < fieldViolation.length; cut++) {
      const any = { ...outer, value: fieldViolation.subarray(0, cut) };
      if (cut === 0 || cut === 6) assert.doesNotThrow(() => registry.unpack(any), `cut at ${cut}`);
      else assert.throws(() => registry.unpack(any), DecodeError.is.bind(DecodeError), `cut at ${cut}`);
    }
    // The same cut string inside the nested message of the whole BadRequest.
    const nested = {
      type_url: 'type.googleapis.com/google.rpc.BadRequest',
      value: whole.subarray(0, whole.length - 3),
    };
    assert.throws(() => registry.unpack(nested), DecodeError.is.bind(DecodeError));
  });

  it('rejects a grpc-status-details-bin trailer whose message is cut short', () => {
    const bytes = registry.pack('google.rpc.Status', { code: 5, message: 'table t1 missing' }).value;
    assert.equal(registry.decodeStatus(bytes).message, 'table t1 missing');
    assert.throws(() => registry.decodeStatus(bytes.subarray(0, bytes.length - 4)), RangeError);
  });

  it('names both types when an Any is not the expected type', () => {
    const any = registry.pack('longrunning.demo.v1.ExportMetadata', {});
    assert.throws(
      () => unpackAs(registry, any, 'longrunning.demo.v1.ExportResult'),
      (e: unknown) => {
        assert.ok(UnknownTypeError.is(e));
        assert.equal(e.expectedType, 'longrunning.demo.v1.ExportResult');
        assert.match(
          e.message,
          /expected longrunning\.demo\.v1\.ExportResult .*longrunning\.demo\.v1\.ExportMetadata/,
        );
        return true;
      },
    );
    assert.deepEqual(unpackAs(registry, any, 'longrunning.demo.v1.ExportMetadata'), {
      progressPercent: 0,
      rowsProcessed: '0',
      state: '',
    });
  });

  it('finds types by their fully-qualified name only, with or without a leading dot', () => {
    const own = createRegistry();
    assert.equal(own.lookup('google.rpc.Status')?.fullName, '.google.rpc.Status');
    assert.equal(own.lookup('.google.rpc.Status')?.fullName, '.google.rpc.Status');
    for (const name of [
      'rpc.Status',
      'Status',
      'google.rpc',
      'google..rpc.Status',
      'google.rpc.Status.',
      '',
    ]) {
      assert.equal(own.lookup(name), undefined, name);
    }
    for (const name of ['__proto__', 'constructor', 'google.__proto__', 'google.rpc.Status.toString']) {
      assert.equal(own.lookup(name), undefined, name);
    }
    assert.equal(own.lookupService('google.longrunning.Operations')?.name, 'Operations');
    assert.equal(own.lookupService('longrunning.Operations'), undefined);
    assert.equal(own.lookupService('google.longrunning.Operation'), undefined, 'a message is not a service');
  });

  it('finds a type added to a user root after the same name was looked up and missed', () => {
    const own = createRegistry();
    const root = new protobuf.Root();
    own.addRoot(root);
    assert.equal(own.has('acme.Late'), false);
    root.add(new protobuf.Type('Late').add(new protobuf.Field('n', 1, 'int32')));
    assert.equal(own.has('acme.Late'), false, 'still absent: Late sits at the top level');
    const acme = new protobuf.Namespace('acme');
    root.add(acme);
    acme.add(new protobuf.Type('Late').add(new protobuf.Field('n', 1, 'int32')));
    assert.deepEqual(own.unpack(own.pack('acme.Late', { n: 3 })), { n: 3 });
  });

  it("unpacks by the Any's own type URL when the declared type is google.protobuf.Any", () => {
    const any = registry.pack('longrunning.demo.v1.ExportMetadata', { progressPercent: 7 });
    const expected = { progressPercent: 7, rowsProcessed: '0', state: '' };
    assert.deepEqual(unpackAs(registry, any, 'google.protobuf.Any'), expected);
    assert.deepEqual(unpackAs(registry, any, '.google.protobuf.Any'), expected);
    const unknown = { type_url: 'type.googleapis.com/acme.Missing', value: Buffer.alloc(0) };
    assert.throws(
      () => unpackAs(registry, unknown, 'google.protobuf.Any'),
      (e: unknown) => UnknownTypeError.is(e) && e.expectedType === undefined,
    );
  });

  it('adds types from .proto files, resolving imports against the built-in protos', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lro-registry-'));
    writeFileSync(
      join(dir, 'job.proto'),
      `syntax = "proto3";
package acme.v1;
import "google/protobuf/timestamp.proto";
import "google/longrunning/operations.proto";
message JobMetadata { int32 percent_done = 1; google.protobuf.Timestamp start_time = 2; }`,
    );
    const own = createRegistry().addProtoFiles(['job.proto'], { includeDirs: [dir] });
    const any = own.pack('acme.v1.JobMetadata', { percentDone: 7, startTime: { seconds: 5 } });
    assert.deepEqual(own.unpack(any), { percentDone: 7, startTime: { seconds: '5', nanos: 0 } });
    assert.equal(registry.has('acme.v1.JobMetadata'), false, 'registries do not share additions');
  });

  it('adds types from a protobufjs root and from JSON, later additions winning', () => {
    const json = { nested: { acme: { nested: { Thing: { fields: { id: { type: 'string', id: 1 } } } } } } };
    const own = createRegistry().addJSON(json);
    assert.deepEqual(own.unpack(own.pack('acme.Thing', { id: 'x' })), { id: 'x' });
    const replacement = protobuf.Root.fromJSON({
      nested: { acme: { nested: { Thing: { fields: { name: { type: 'string', id: 1 } } } } } },
    });
    own.addRoot(replacement);
    assert.deepEqual(own.unpack(own.pack('acme.Thing', { name: 'y' })), { name: 'y' });
  });

  it('throws only its typed errors for 10,000 random type URLs and byte strings', () => {
    const knownNames = ['google.rpc.ErrorInfo', 'google.rpc.Status', 'longrunning.demo.v1.ExportMetadata'];
    const typeUrl = fc.oneof(
      fc.string(),
      fc.constantFrom(...knownNames).map((n) => `type.googleapis.com/${n}`),
      fc
        .tuple(fc.string(), fc.constantFrom('constructor', '__proto__', 'toString', 'a..b', '.x', ''))
        .map(([p, n]) => `${p}/${n}`),
    );
    fc.assert(
      fc.property(typeUrl, fc.uint8Array({ maxLength: 64 }), (url, bytes) => {
        const any = { type_url: url, value: Buffer.from(bytes) };
        for (const attempt of [() => registry.unpack(any), () => registry.tryUnpack(any)]) {
          try {
            attempt();
          } catch (e) {
            if (!UnknownTypeError.is(e) && !DecodeError.is(e)) throw e;
          }
        }
      }),
      { numRuns: 10_000 },
    );
  });
});

describe('Anys read through the handle, over gRPC on loopback', () => {
  const META = 'longrunning.demo.v1.ExportMetadata';
  const RESULT = 'longrunning.demo.v1.ExportResult';
  const ANY = { metadataType: 'google.protobuf.Any', responseType: 'google.protobuf.Any' };
  type ExportMetadata = { progressPercent: number; rowsProcessed: string; state: string };
  let server: FakeOperationsServer;
  let client: OperationsClient;

  before(async () => {
    server = await FakeOperationsServer.start();
    client = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
    });
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  it('reads op.metadata and op.response as whatever registered type the operation holds', async () => {
    const h = server.create({ metadataType: META, metadata: { progressPercent: 10, state: 'RUNNING' } });
    const op = client.operation<unknown, ExportMetadata>(h.name, ANY);
    await op.poll();
    assert.deepEqual(op.metadata, { progressPercent: 10, rowsProcessed: '0', state: 'RUNNING' });
    assert.equal(op.progress, 10);
    h.succeed(RESULT, { uri: 'export://any', rowCount: 3 });
    await op.poll();
    assert.deepEqual(op.response, { uri: 'export://any', rowCount: '3' });
  });

  it('watch() yields each snapshot with its metadata unpacked, ending with the response', async () => {
    const h = server.create({ metadataType: META, metadata: { progressPercent: 10 } });
    const op = client.operation<unknown, ExportMetadata>(h.name, ANY);
    const seen: (number | undefined)[] = [];
    let response: unknown;
    const polling = { initialDelayMs: 10, multiplier: 1, maxDelayMs: 10, jitter: 0 };
    for await (const s of op.watch({ polling, timeoutMs: 20_000 })) {
      seen.push(s.metadata?.progressPercent);
      if (s.done) response = s.response;
      else if (s.metadata?.progressPercent === 10) h.setMetadata({ progressPercent: 60 });
      else h.succeed(RESULT, { uri: 'export://watched', rowCount: 1 });
      assert.ok(seen.length <= 10, `more snapshots than changes: ${JSON.stringify(seen)}`);
    }
    assert.deepEqual(seen.slice(0, 2), [10, 60]);
    assert.deepEqual(response, { uri: 'export://watched', rowCount: '1' });
  });

  it('reading metadata cut short over the wire throws DecodeError; a cut detail is kept as bytes', async () => {
    const cut = {
      type_url: 'type.googleapis.com/google.rpc.ErrorInfo',
      value: Buffer.from([0x0a, 0x05, 0x41]),
    };
    const h = server.create();
    h.setRaw({ metadata: cut });
    const op = client.operation(h.name, ANY);
    await op.poll();
    assert.throws(() => op.metadata, DecodeError.is.bind(DecodeError));
    assert.equal(op.progress, undefined);
    h.fail({ code: 9, message: 'cut detail', details: [cut] });
    await op.poll();
    const detail = op.error?.details[0];
    assert.equal(detail?.typeName, 'google.rpc.ErrorInfo');
    assert.equal(detail?.value, undefined);
    assert.deepEqual(Buffer.from(detail?.bytes ?? []), cut.value);
  });
});
