/**
 * Tracing of waits with OpenTelemetry: the span tree of a wait that succeeds, fails, times
 * out and is aborted, over real gRPC on loopback, with the in-memory exporter. The RPC
 * spans an instrumented application would make are stood in for by a grpc-js client
 * interceptor that starts a span in the active context at each call, as grpc
 * instrumentation does.
 *
 * CI also runs this file with `@opentelemetry/api` moved out of node_modules and
 * LONGRUNNING_TEST_WITHOUT_OTEL=1: then only the last suite runs, and it checks that
 * nothing at all happens.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, beforeEach, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type * as otel from '@opentelemetry/api';
import type { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeClock } from '../../src/testing/fake-clock.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import {
  MAX_SPAN_TEXT,
  POLL_EVENT,
  spanText,
  startWaitTrace,
  TRUNCATED_MARK,
  tracingAvailable,
  WAIT_SPAN,
} from '../../src/wait/tracing.ts';
import { Code } from '../../src/wire/code.ts';

const withoutOtel = process.env.LONGRUNNING_TEST_WITHOUT_OTEL === '1';
const META = 'longrunning.demo.v1.ExportMetadata';
const RESULT = 'longrunning.demo.v1.ExportResult';

/** A grpc-js interceptor that records one span per RPC, parented by the active context. */
function rpcSpans(api: typeof otel): grpc.Interceptor {
  return (options, nextCall) => {
    const span = api.trace.getTracer('test-grpc').startSpan(`rpc ${options.method_definition.path}`);
    return new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) =>
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            span.end();
            nextStatus(status);
          },
        }),
    });
  };
}

describe('tracing with @opentelemetry/api installed but no tracer provider', { skip: withoutOtel }, () => {
  it('a wait starts no trace, so its polls carry nothing', () => {
    assert.equal(tracingAvailable(), true);
    assert.equal(startWaitTrace('operations/x', 'auto'), undefined);
  });
});

describe('tracing with @opentelemetry/api installed', { skip: withoutOtel }, () => {
  let api: typeof otel;
  let exporter: InMemorySpanExporter;
  let server: FakeOperationsServer;
  let closeOtel: () => Promise<void>;
  const clients: OperationsClient[] = [];

  before(async () => {
    api = await import('@opentelemetry/api');
    const sdk = await import('@opentelemetry/sdk-trace-base');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    exporter = new sdk.InMemorySpanExporter();
    const provider = new sdk.BasicTracerProvider({ spanProcessors: [new sdk.SimpleSpanProcessor(exporter)] });
    const contextManager = new AsyncLocalStorageContextManager().enable();
    api.context.setGlobalContextManager(contextManager);
    api.trace.setGlobalTracerProvider(provider);
    closeOtel = async () => {
      await provider.shutdown();
      api.trace.disable();
      api.context.disable();
    };
    server = await FakeOperationsServer.start();
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
    await closeOtel();
  });
  beforeEach(() => exporter.reset());

  function client(options: { clock?: FakeClock } = {}): OperationsClient {
    const c = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
      channelOptions: { interceptors: [rpcSpans(api)] },
      polling: { initialDelayMs: 1000, multiplier: 1, maxDelayMs: 1000, jitter: 0 },
      ...options,
    });
    clients.push(c);
    return c;
  }

  const waitSpans = (): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === WAIT_SPAN);
  const childrenOf = (span: ReadableSpan): string[] =>
    exporter
      .getFinishedSpans()
      .filter((s) => s.parentSpanContext?.spanId === span.spanContext().spanId)
      .map((s) => s.name);

  /** The one wait span, checked to have the attributes every wait span has. */
  function theWaitSpan(name: string, strategy: string): ReadableSpan {
    const spans = waitSpans();
    assert.equal(spans.length, 1, 'one longrunning.wait span per wait');
    const [span] = spans;
    assert.ok(span !== undefined);
    assert.equal(span.attributes['longrunning.operation.name'], name);
    assert.equal(span.attributes['longrunning.strategy'], strategy);
    assert.equal(span.kind, api.SpanKind.INTERNAL);
    return span;
  }

  const pollResults = (span: ReadableSpan): unknown[] =>
    span.events.filter((e) => e.name === POLL_EVENT).map((e) => e.attributes?.['longrunning.poll.result']);

  it('a wait that succeeds is one span under the caller span, with a poll event per poll and the RPC spans nested under it', async () => {
    const clock = new FakeClock(0);
    const c = client({ clock });
    const h = server.create({ metadataType: META, metadata: { progressPercent: 10 } });
    const waiting = api.trace.getTracer('app').startActiveSpan('app request', (appSpan) =>
      c
        .operation(h.name)
        .wait({ strategy: 'poll' })
        .finally(() => appSpan.end()),
    );
    await clock.untilSleeping();
    await clock.advanceToNext();
    await clock.untilSleeping();
    h.succeed(RESULT, { uri: 'export://t', rowCount: '1' });
    await clock.advanceToNext();
    await waiting;

    const span = theWaitSpan(h.name, 'poll');
    const appSpan = exporter.getFinishedSpans().find((s) => s.name === 'app request');
    assert.equal(span.parentSpanContext?.spanId, appSpan?.spanContext().spanId, 'child of the active span');
    assert.equal(span.attributes['longrunning.outcome'], 'done');
    assert.equal(span.attributes['longrunning.polls'], 3);
    assert.deepEqual(pollResults(span), ['running', 'running', 'done']);
    assert.equal(span.status.code, api.SpanStatusCode.UNSET);
    assert.deepEqual(childrenOf(span), Array(3).fill('rpc /google.longrunning.Operations/GetOperation'));
  });

  it('a wait on an operation already done is a span with no poll, ended at once', async () => {
    const c = client();
    const h = server.create();
    h.succeed(RESULT, { uri: 'export://t', rowCount: '1' });
    const op = await c.operation(h.name).poll();
    exporter.reset();
    await op.wait();

    const span = theWaitSpan(h.name, 'auto');
    assert.equal(span.attributes['longrunning.outcome'], 'done');
    assert.equal(span.attributes['longrunning.polls'], 0);
    assert.deepEqual(pollResults(span), []);
  });

  it('a wait on an operation that fails ends with outcome error, the code and an error status', async () => {
    const c = client();
    const h = server.create();
    h.fail({ code: Code.NOT_FOUND, message: 'table t1 missing' });
    await assert.rejects(c.operation(h.name).wait({ strategy: 'wait' }), /NOT_FOUND: table t1 missing/);

    const span = theWaitSpan(h.name, 'wait');
    assert.equal(span.attributes['longrunning.outcome'], 'error');
    assert.equal(span.attributes['longrunning.error.code'], Code.NOT_FOUND);
    assert.equal(span.attributes['longrunning.error.code_name'], 'NOT_FOUND');
    assert.deepEqual(span.status, { code: api.SpanStatusCode.ERROR, message: 'table t1 missing' });
    assert.deepEqual(pollResults(span), ['done']);
    assert.deepEqual(childrenOf(span), ['rpc /google.longrunning.Operations/WaitOperation']);
  });

  it('cuts a 100,000-character operation name and a 1 MB error message to 1 KiB in the span, marked as truncated', async () => {
    const c = client();
    const name = `operations/${'n'.repeat(100_000 - 'operations/'.length)}`;
    const h = server.create({ name });
    const message = 'm'.repeat(1_000_000);
    h.fail({ code: Code.ABORTED, message });
    await assert.rejects(c.operation(h.name).wait({ strategy: 'wait' }), (e: unknown) => e instanceof Error);

    const [span, ...more] = waitSpans();
    assert.ok(span !== undefined && more.length === 0);
    const shownName = span.attributes['longrunning.operation.name'];
    assert.equal(typeof shownName, 'string');
    assert.equal(shownName, spanText(name));
    assert.ok(String(shownName).length <= MAX_SPAN_TEXT, `${String(shownName).length} characters`);
    assert.ok(String(shownName).startsWith('operations/nnn'));
    assert.ok(String(shownName).endsWith(`${TRUNCATED_MARK}100000 chars]`));
    const status = span.status.message ?? '';
    assert.ok(status.length <= MAX_SPAN_TEXT, `${status.length} characters`);
    assert.ok(
      status.startsWith('mmm') && status.endsWith(`${TRUNCATED_MARK}1000000 chars]`),
      status.slice(-40),
    );
    assert.equal(span.status.code, api.SpanStatusCode.ERROR);
    assert.equal(span.attributes['longrunning.error.code_name'], 'ABORTED');
  });

  it("a wait's span status never shows a header value the client sent, whatever the server echoed", async () => {
    const authorization = 'Bearer lr-span-token-91ac0e';
    const c = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
      callDefaults: { metadata: { authorization } },
    });
    clients.push(c);
    const h = server.create();
    server.inject({ method: 'WaitOperation', code: Code.PERMISSION_DENIED, echoHeaders: ['authorization'] });
    await assert.rejects(c.operation(h.name).wait({ strategy: 'wait' }), /PERMISSION_DENIED/);
    const span = theWaitSpan(h.name, 'wait');
    assert.equal(
      span.status.message,
      'PERMISSION_DENIED: injected PERMISSION_DENIED (authorization: [REDACTED]) (WaitOperation)',
    );
  });

  it('a wait that times out ends with outcome timeout after its final poll', async () => {
    const clock = new FakeClock(0);
    const c = client({ clock });
    const h = server.create();
    const waiting = c.operation(h.name).wait({ strategy: 'poll', timeoutMs: 1500 });
    const rejected = assert.rejects(waiting, (e: unknown) => e instanceof Error && e.name === 'TimeoutError');
    await clock.untilSleeping();
    await clock.advanceToNext();
    await clock.untilSleeping();
    // The final poll at the deadline has a short real-time RPC deadline (FINAL_POLL_TIMEOUT_MS),
    // which a server answering in a minute always misses: its result is then 'retry' on any machine.
    server.latencyMs = 60_000;
    try {
      await clock.advanceToNext();
      await rejected;
    } finally {
      server.latencyMs = 0;
    }

    const span = theWaitSpan(h.name, 'poll');
    assert.equal(span.attributes['longrunning.outcome'], 'timeout');
    assert.equal(span.attributes['longrunning.polls'], 3);
    assert.deepEqual(pollResults(span), ['running', 'running', 'retry']);
    assert.equal(span.status.code, api.SpanStatusCode.ERROR);
    assert.equal(childrenOf(span).length, 3);
  });

  it('an aborted wait ends with outcome aborted and no error status', async () => {
    const clock = new FakeClock(0);
    const c = client({ clock });
    const h = server.create();
    const abort = new AbortController();
    const waiting = c.operation(h.name).wait({ strategy: 'poll', signal: abort.signal });
    await clock.untilSleeping();
    abort.abort();
    await assert.rejects(waiting, { name: 'AbortError' });

    const span = theWaitSpan(h.name, 'poll');
    assert.equal(span.attributes['longrunning.outcome'], 'aborted');
    assert.equal(span.attributes['longrunning.polls'], 1);
    assert.equal(span.status.code, api.SpanStatusCode.UNSET);
    assert.deepEqual(childrenOf(span), ['rpc /google.longrunning.Operations/GetOperation']);
  });

  it('two waits sharing one poll loop each get a span recording the polls made since it joined; the RPCs nest under the first', async () => {
    const clock = new FakeClock(0);
    const c = client({ clock });
    const h = server.create();
    const polledBefore = server.calls.GetOperation;
    const first = c.operation(h.name).wait({ strategy: 'poll' }); // starts the loop's first poll
    const second = c.operation(h.name).wait({ strategy: 'poll' }); // joins while that poll is in flight
    await clock.untilSleeping();
    h.succeed(RESULT, { uri: 'export://t', rowCount: '1' });
    await clock.advanceToNext();
    await Promise.all([first, second]);

    assert.equal(server.calls.GetOperation - polledBefore, 2);
    const [firstSpan, secondSpan, ...more] = waitSpans();
    assert.ok(firstSpan !== undefined && secondSpan !== undefined);
    assert.equal(more.length, 0);
    assert.deepEqual(pollResults(firstSpan), ['running', 'done']);
    assert.deepEqual(pollResults(secondSpan), ['done']);
    assert.equal(firstSpan.attributes['longrunning.polls'], 2);
    assert.equal(secondSpan.attributes['longrunning.polls'], 1);
    assert.equal(childrenOf(firstSpan).length, 2);
    assert.equal(childrenOf(secondSpan).length, 0);
  });
});

describe('spanText', () => {
  it('keeps a text of up to MAX_SPAN_TEXT as it is, and cuts a longer one to fit with its marker and length', () => {
    assert.equal(MAX_SPAN_TEXT, 1024);
    const fits = 'x'.repeat(MAX_SPAN_TEXT);
    assert.equal(spanText(fits), fits);
    const cut = spanText('y'.repeat(MAX_SPAN_TEXT + 1));
    assert.equal(cut.length, MAX_SPAN_TEXT);
    assert.ok(cut.endsWith(`${TRUNCATED_MARK}1025 chars]`));
  });

  it('never splits a surrogate pair at the cut', () => {
    for (let pad = 0; pad < 4; pad++) {
      const cut = spanText(`${'a'.repeat(pad)}${'😀'.repeat(2000)}`);
      assert.ok(cut.length <= MAX_SPAN_TEXT);
      const head = cut.slice(0, cut.indexOf(TRUNCATED_MARK));
      // A lone surrogate does not survive a UTF-8 round trip.
      assert.equal(Buffer.from(head).toString(), head, `pad ${pad}: a lone surrogate`);
    }
  });
});

describe('tracing without @opentelemetry/api', { skip: !withoutOtel }, () => {
  it('the package is really absent, waits work, and no OpenTelemetry global is read', async () => {
    assert.throws(() => createRequire(import.meta.url).resolve('@opentelemetry/api'), {
      code: 'MODULE_NOT_FOUND',
    });
    // A tracer provider registered the way the API registers one (a global keyed by
    // symbol); any API copy that got loaded would read it at the first wait.
    let reads = 0;
    const key = Symbol.for('opentelemetry.js.api.1');
    const globals: Record<symbol, unknown> = globalThis;
    globals[key] = new Proxy(
      { version: '1.9.0' },
      {
        get(target, property) {
          reads++;
          return Reflect.get(target, property);
        },
      },
    );
    const server = await FakeOperationsServer.start();
    const c = new OperationsClient({
      address: server.address,
      credentials: grpc.credentials.createInsecure(),
    });
    try {
      const h = server.create();
      const waiting = c.operation(h.name).wait();
      h.succeed(RESULT, { uri: 'export://t', rowCount: '1' });
      assert.deepEqual(await waiting, { uri: 'export://t', rowCount: '1' });
      assert.equal(tracingAvailable(), false);
      assert.equal(reads, 0);
    } finally {
      c.close();
      await server.stop();
      delete globals[key];
    }
  });
});
