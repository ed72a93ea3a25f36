import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import type { Operation } from '../../src/client/operation.ts';
import { createRegistry } from '../../src/proto/registry.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import type { OperationFields } from '../../src/testing/operation-store.ts';
import type { WaitStrategy } from '../../src/wait/operation-poller.ts';
import {
  DecodeError,
  LongrunningError,
  OperationError,
  OperationStateError,
  RpcError,
  TimeoutError,
  UnknownTypeError,
} from '../../src/wire/errors.ts';
import type { Any } from '../../src/wire/types.ts';
import { bounded, FAST_POLLING, insecure, META, RESULT, type Settled, settle } from './helpers.ts';
import { Scenario } from './report.ts';

const SEED = 8_008;
const RUNS = 300;
const RECEIVE_LIMIT = 4 * 1024 * 1024;
const HUGE = 5 * 1024 * 1024;
/** How long a wait on a running hostile operation may take before it must time out. */
const RUNNING_TIMEOUT_MS = 100;
/** A wait that has not settled by then hangs. */
const HANG_MS = 5000;
const report = new Scenario(4, 'Hostile responses');
const registry = createRegistry();

// ---- What a hostile server may put in an Any, and what reading it must give ----

type AnyKind = 'valid' | 'other-known' | 'unknown-type' | 'bad-url' | 'corrupt';
interface AnySpec {
  readonly kind: AnyKind;
  readonly bytes: Uint8Array;
  readonly badUrl: string;
  readonly unknownUrl: string;
  readonly n: number;
}

const anySpec: fc.Arbitrary<AnySpec> = fc.record({
  kind: fc.constantFrom<AnyKind>('valid', 'other-known', 'unknown-type', 'bad-url', 'corrupt'),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  badUrl: fc.constantFrom('', 'acme.Bare', 'type.googleapis.com/', 'x/.y', '/', ' '),
  unknownUrl: fc.constantFrom(
    'type.googleapis.com/acme.v1.Nope',
    'example.com/a/b/acme.Missing',
    'type.googleapis.com/google.protobuf.Nope',
  ),
  n: fc.integer({ min: 0, max: 100 }),
});

/** The Any of `spec`, for a slot whose declared type is `type`. */
function buildAny(spec: AnySpec, type: string): Any {
  switch (spec.kind) {
    case 'valid':
      return type === RESULT
        ? registry.pack(RESULT, { uri: `export://${spec.n}`, rowCount: spec.n })
        : registry.pack(META, { progressPercent: spec.n });
    case 'other-known':
      return registry.pack('google.protobuf.Duration', { seconds: spec.n, nanos: 0 });
    case 'unknown-type':
      return { type_url: spec.unknownUrl, value: Buffer.from(spec.bytes) };
    case 'bad-url':
      return { type_url: spec.badUrl, value: Buffer.from(spec.bytes) };
    case 'corrupt':
      return { type_url: `type.googleapis.com/${type}`, value: Buffer.from(spec.bytes) };
  }
}

/** What reading an Any of `spec` may give: the error classes, or also a value. */
function readingOutcome(spec: AnySpec, declared: boolean): { errors: string[]; value: boolean } {
  switch (spec.kind) {
    case 'valid':
      return { errors: [], value: true };
    case 'other-known':
      return declared ? { errors: ['UnknownTypeError'], value: false } : { errors: [], value: true };
    case 'unknown-type':
    case 'bad-url':
      return { errors: ['UnknownTypeError'], value: false };
    case 'corrupt':
      // Random bytes may happen to decode (protobuf is lenient) or not.
      return { errors: ['DecodeError'], value: true };
  }
}

// ---- Generated hostile operations ----

type Result =
  | { readonly kind: 'neither' }
  | { readonly kind: 'response'; readonly any: AnySpec }
  | { readonly kind: 'error'; readonly code: number; readonly message: string; readonly details: AnySpec[] };

interface Hostile {
  readonly name: string;
  readonly done: boolean;
  readonly metadata: AnySpec | null;
  readonly result: Result;
  /** Whether the handle declares responseType / metadataType. */
  readonly declared: boolean;
  /** What onProgress reads: nothing, the never-throwing views, or `metadata` (which may throw). */
  readonly reads: 'nothing' | 'views' | 'metadata';
  readonly strategy: WaitStrategy;
}

const oddName = fc.oneof(
  fc.constantFrom(
    'operations/a b',
    'operations/ünïcödé/日本語',
    'operations/%2F%00',
    'operations/\u0000nul',
    'operations/line\nbreak',
    'operations/🚀',
    '/',
    '//',
    '...',
    'a',
    'operations/',
    'operations/\u202Eevil',
    'operations/\uD800lone-surrogate',
    `operations/${'x'.repeat(8000)}`,
  ),
  fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme' }),
  fc.string({ minLength: 1, maxLength: 64, unit: 'binary' }),
);

const code = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 16 }), weight: 4 },
  { arbitrary: fc.constantFrom(0, -1, 17, 999, 2 ** 31 - 1, -(2 ** 31)), weight: 1 },
);

const result: fc.Arbitrary<Result> = fc.oneof(
  fc.constant<Result>({ kind: 'neither' }),
  fc.record({ kind: fc.constant('response' as const), any: anySpec }),
  fc.record({
    kind: fc.constant('error' as const),
    code,
    message: fc.string({ maxLength: 200, unit: 'grapheme' }),
    details: fc.array(anySpec, { maxLength: 3 }),
  }),
);

const hostile: fc.Arbitrary<Hostile> = fc.record({
  name: oddName,
  done: fc.oneof({ arbitrary: fc.constant(true), weight: 6 }, { arbitrary: fc.constant(false), weight: 1 }),
  metadata: fc.option(anySpec, { nil: null }),
  result,
  declared: fc.boolean(),
  reads: fc.constantFrom<Hostile['reads']>('nothing', 'views', 'metadata'),
  strategy: fc.constantFrom<WaitStrategy>('auto', 'wait', 'poll'),
});

/** True when `name` survives UTF-8 encoding (no lone surrogate), so the server sees the same name. */
function encodable(name: string): boolean {
  return Buffer.from(name, 'utf8').toString('utf8') === name;
}

/** The class name of a settled error, for tallies. */
function kindOf(outcome: Settled<unknown>): string {
  if (outcome.ok) return 'value';
  const e = outcome.error;
  for (const [name, cls] of [
    ['OperationError', OperationError],
    ['OperationStateError', OperationStateError],
    ['UnknownTypeError', UnknownTypeError],
    ['DecodeError', DecodeError],
    ['TimeoutError', TimeoutError],
    ['RpcError', RpcError],
  ] as const) {
    if (cls.is(e)) return name;
  }
  return LongrunningError.is(e) ? 'LongrunningError' : `untyped ${e instanceof Error ? e.name : typeof e}`;
}

/** The outcome kinds `h` may settle with (and checks of a value or error beyond its class). */
function expectedKinds(h: Hostile): string[] {
  if (!encodable(h.name)) return ['RpcError'];
  // onProgress sees the first snapshot when its metadata or done differ from the name-only start.
  const sawChange = h.done || h.metadata !== null;
  const metadataRead = h.reads === 'metadata' && sawChange && h.metadata !== null;
  const meta = metadataRead && h.metadata !== null ? readingOutcome(h.metadata, h.declared) : undefined;
  if (meta !== undefined && !meta.value) return meta.errors;
  const kinds = meta?.errors ?? [];
  if (!h.done) return [...kinds, 'TimeoutError'];
  switch (h.result.kind) {
    case 'neither':
      return [...kinds, 'OperationStateError'];
    case 'error':
      return [...kinds, h.result.code === 0 ? 'OperationStateError' : 'OperationError'];
    case 'response': {
      const r = readingOutcome(h.result.any, h.declared);
      return [...kinds, ...r.errors, ...(r.value ? ['value'] : [])];
    }
  }
}

describe('hostile responses', () => {
  let server: FakeOperationsServer;
  let client: OperationsClient;
  const uncaught: unknown[] = [];
  const unhandled: unknown[] = [];
  const onUncaught = (e: unknown): void => void uncaught.push(e);
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  const tally = new Map<string, number>();
  const inputs = new Map<string, number>();
  const count = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);
  let seq = 0;

  before(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
    server = await FakeOperationsServer.start();
    client = new OperationsClient({
      address: server.address,
      credentials: insecure,
      polling: FAST_POLLING,
      channelOptions: { 'grpc.max_receive_message_length': RECEIVE_LIMIT },
    });
  });
  after(async () => {
    client.close();
    await server.stop();
    // Let late callbacks (if any) surface before the listeners go.
    await new Promise((r) => setImmediate(r));
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
    report.table(
      ['input', 'cases'],
      [...inputs.entries()].sort(([a], [b]) => a.localeCompare(b)),
    );
    report.table(
      ['settled with', 'waits'],
      [...tally.entries()].sort(([a], [b]) => a.localeCompare(b)),
    );
    report.outcome(`uncaughtException: ${uncaught.length}, unhandledRejection: ${unhandled.length}`);
  });

  /** Serves `h`, waits on it, and checks that the wait settled as `h` calls for (else fails the property). */
  async function run(h: Hostile): Promise<void> {
    const name = `${h.name}~${seq++}`;
    const fake = server.create({ name });
    const fields: OperationFields = {
      done: h.done,
      metadata: h.metadata === null ? null : buildAny(h.metadata, META),
      ...(h.result.kind === 'response' ? { response: buildAny(h.result.any, RESULT) } : {}),
      ...(h.result.kind === 'error'
        ? {
            error: {
              code: h.result.code,
              message: h.result.message,
              details: h.result.details.map((d) => buildAny(d, 'google.rpc.ErrorInfo')),
            },
          }
        : {}),
    };
    fake.setRaw(fields);
    const op: Operation = client.operation(
      name,
      h.declared ? { responseType: RESULT, metadataType: META } : {},
    );
    const onProgress = (o: Operation): void => {
      if (h.reads === 'views') {
        JSON.stringify(o.toJSON());
        void o.progress;
        void o.error;
        void o.cancelled;
        void o.id;
      } else if (h.reads === 'metadata') {
        void o.metadata;
      }
    };
    const outcome = await bounded(
      settle(
        op.wait({
          strategy: h.strategy,
          timeoutMs: RUNNING_TIMEOUT_MS,
          ...(h.reads === 'nothing' ? {} : { onProgress }),
        }),
      ),
      HANG_MS,
      `wait on ${JSON.stringify(name.slice(0, 60))}`,
    );
    const kind = kindOf(outcome);
    count(tally, kind);
    count(
      inputs,
      `done=${h.done}, result ${h.result.kind}${h.result.kind === 'response' ? ` (${h.result.any.kind})` : ''}`,
    );
    count(inputs, `metadata ${h.metadata?.kind ?? 'none'}`);
    count(inputs, `name ${encodable(h.name) ? 'encodable' : 'with a lone surrogate'}`);
    count(inputs, `onProgress reads ${h.reads}`);
    const expected = expectedKinds(h);
    // Every wait here ends after RUNNING_TIMEOUT_MS; when the machine is busy the first
    // answer can come later, and a TimeoutError that received no snapshot is then the right
    // outcome, done operation or not (nothing could be read).
    if (!outcome.ok && TimeoutError.is(outcome.error) && outcome.error.lastSnapshot === undefined) {
      expected.push('TimeoutError');
    }
    if (!expected.includes(kind)) report.lost(1);
    assert.ok(
      expected.includes(kind),
      `settled with ${kind}, expected one of ${expected.join(', ')}: ${String(outcome.ok ? '' : outcome.error)}`,
    );
    // The handle's never-throwing views hold after any outcome.
    JSON.stringify(op.toJSON());
    void op.progress;
    if (!outcome.ok && OperationError.is(outcome.error) && h.result.kind === 'error') {
      assert.equal(outcome.error.code, h.result.code);
      assert.equal(outcome.error.rawMessage, h.result.message);
      assert.equal(outcome.error.details.length, h.result.details.length, 'no detail dropped');
    }
    if (outcome.ok && h.result.kind === 'response' && h.result.any.kind === 'valid') {
      assert.deepEqual(outcome.value, {
        uri: `export://${h.result.any.n}`,
        rowCount: String(h.result.any.n),
      });
    }
  }

  report.test(
    `${RUNS} generated hostile operations (fast-check, seed ${SEED}) each settle with a typed error or a value within ${HANG_MS} ms`,
    async () => {
      await fc.assert(fc.asyncProperty(hostile, run), { numRuns: RUNS, seed: SEED, endOnFailure: true });
      report.input(
        `${RUNS} operations generated by fast-check (seed ${SEED}): odd names (unicode, NUL, newline, RTL override, lone surrogate, 8,000 chars, random binary/grapheme strings), done or running, metadata and response Anys that are valid, of another known type, of an unknown type, with a malformed type URL or with random bytes; errors with codes 0, 1-16, -1, 17, 999, ±2^31 and random details; handles with and without declared types; onProgress reading nothing, the never-throwing views, or metadata; strategies auto, wait, poll`,
      );
      report.fault(
        'Each operation served as generated through FakeOperationHandle.setRaw (no consistency checks)',
      );
      report.outcome(
        `${seq} waits, every one settled with the outcome its input calls for (see the tables); 0 hung`,
      );
    },
    { timeout: 120_000 },
  );

  report.test(
    'a 5 MB metadata over the 4 MB receive limit is RpcError RESOURCE_EXHAUSTED for every strategy, and the client keeps working',
    async () => {
      const huge = registry.pack('google.protobuf.BytesValue', { value: Buffer.alloc(HUGE, 7) });
      const underLimit = registry.pack('google.protobuf.BytesValue', {
        value: Buffer.alloc(RECEIVE_LIMIT - 1024, 7),
      });
      const rows: (string | number)[][] = [];
      for (const strategy of ['auto', 'wait', 'poll'] as const) {
        for (const done of [false, true]) {
          const h = server.create();
          h.setRaw({
            metadata: huge,
            ...(done ? { done: true, response: registry.pack(RESULT, { uri: 'x' }) } : {}),
          });
          const outcome = await bounded(
            // A 500 ms WaitOperation chunk: the oversized answer comes well before the 2 s
            // deadline, instead of racing it at the deadline (where a late answer is a timeout).
            settle(
              client.operation(h.name).wait({ strategy, timeoutMs: 2000, polling: { waitChunkMs: 500 } }),
            ),
            HANG_MS,
            `wait on a 5 MB operation (${strategy})`,
          );
          const error = outcome.ok ? undefined : outcome.error;
          const ok = RpcError.is(error) && error.code === grpc.status.RESOURCE_EXHAUSTED;
          if (!ok) report.lost(1);
          rows.push([
            strategy,
            done ? 'done' : 'running',
            kindOf(outcome),
            RpcError.is(error) ? error.codeName : '-',
          ]);
          assert.ok(ok, `expected RESOURCE_EXHAUSTED, got ${kindOf(outcome)} ${String(error ?? '')}`);
          assert.match(String(error), /RESOURCE_EXHAUSTED/);
        }
      }
      const fine = server.create();
      fine.setRaw({
        metadata: underLimit,
        done: true,
        response: registry.pack(RESULT, { uri: 'export://after' }),
      });
      const after = await client.operation(fine.name, { responseType: RESULT }).wait({ timeoutMs: 2000 });
      assert.deepEqual(after, { uri: 'export://after', rowCount: '0' });
      report.input(
        `6 waits (strategies auto, wait, poll × running, done) on an operation whose metadata is 5 MB, client receive limit ${RECEIVE_LIMIT} bytes; then one with metadata just under the limit`,
      );
      report.fault('5 MB metadata (google.protobuf.BytesValue) served through setRaw');
      report.table(['5 MB case: strategy', 'operation', 'settled with', 'code'], rows);
      report.outcome(
        'Every 5 MB wait rejected with RpcError RESOURCE_EXHAUSTED; the same client then read a (4 MB - 1 KB) operation to its result',
      );
    },
  );

  report.test('zero uncaughtException and zero unhandledRejection during the scenario', async () => {
    await new Promise((r) => setImmediate(r));
    assert.equal(uncaught.length, 0, String(uncaught[0]));
    assert.equal(unhandled.length, 0, String(unhandled[0]));
  });
});
