/**
 * OpenTelemetry tracing of waits, when `@opentelemetry/api` is installed (an optional peer
 * dependency). Each wait is one `longrunning.wait` span, a child of the caller's active
 * span; each poll made while the wait is joined to its loop is a `longrunning.poll` event
 * on it; and the poll runs with the wait's span active, so the RPC spans of an instrumented
 * application (grpc-js or HTTP instrumentation) nest under the wait.
 *
 * The API is loaded only once a tracer provider is registered: an application that traces
 * has registered one (through its own copy of the API, which keeps it in a global keyed
 * by the API's major version) before its waits start, and one that does not trace never
 * pays for loading the API (tens of ms at start-up). Whether the package is installed is
 * resolved once, without loading it; without it, no OpenTelemetry global is ever read.
 * Without the package, or with no tracer provider registered, no span is started at all
 * (a wait costs one property check) and a poll costs one boolean check. Span data is
 * bounded: texts from the caller or the server (the operation name, an error message) are
 * cut to `MAX_SPAN_TEXT` and marked (`spanText`). An RpcError's message never carries a
 * header value the client sent (transport/redact-error.ts), so neither does a span status.
 */

import { createRequire } from 'node:module';
import { debuglog } from 'node:util';
import type * as otel from '@opentelemetry/api';
import { Code, codeName } from '../wire/code.js';

/** The name of the tracer wait spans are made with. */
export const TRACER_NAME = 'longrunning';
/** The name of the span of one wait. */
export const WAIT_SPAN = 'longrunning.wait';
/** The name of the event recorded on a wait span for each poll. */
export const POLL_EVENT = 'longrunning.poll';

/**
 * The longest text a wait span carries in an attribute or its status message, in UTF-16
 * code units (1 KiB). A longer one (a 100,000-character operation name, a 1 MB error
 * message from a server) is cut to fit, marker included, and ends with `TRUNCATED_MARK`
 * and its full length, so span exporters and backends never receive unbounded data.
 */
export const MAX_SPAN_TEXT = 1024;

/** What ends a truncated span text, followed by the original length: `…[truncated, 100011 chars]`. */
export const TRUNCATED_MARK = '…[truncated, ';

/**
 * `text` when it fits in `MAX_SPAN_TEXT`, else its start followed by
 * `…[truncated, <length> chars]`, `MAX_SPAN_TEXT` long at most, never splitting a
 * surrogate pair.
 */
export function spanText(text: string): string {
  if (text.length <= MAX_SPAN_TEXT) return text;
  const mark = `${TRUNCATED_MARK}${text.length} chars]`;
  let end = MAX_SPAN_TEXT - mark.length;
  const last = text.charCodeAt(end - 1);
  // Cutting after a high surrogate would leave half a character.
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}${mark}`;
}

/** How a wait ended, as recorded in `longrunning.outcome`. */
export type WaitOutcome =
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' };

/** What one poll brought, as recorded in the poll event's `longrunning.poll.result`. */
export type PollResultKind = 'running' | 'done' | 'retry' | 'error';

/** The tracing side of one wait; present only while its span records. */
export interface WaitTrace {
  /** Calls `poll` with this wait's span active, so spans started inside nest under it. */
  run<T>(poll: () => T): T;
  /** Records one finished poll as an event and counts it in `longrunning.polls`. */
  polled(result: PollResultKind): void;
  /** Ends the span with the wait's outcome. Later calls do nothing. */
  end(outcome: WaitOutcome): void;
}

/** Anything that may carry a trace (the poll loop's waiters). */
export interface Traced {
  readonly trace?: WaitTrace | undefined;
}

type Api = typeof otel;

/** The loaded API: undefined before it is first needed, null when it cannot be loaded. */
let api: Api | null | undefined;
/** Whether `@opentelemetry/api` resolves from here: undefined until first asked. */
let installed: boolean | undefined;
/** True once a recording wait span was started: until then polls skip the trace lookup. */
let recording = false;

/** NODE_DEBUG=longrunning output. */
const debug = debuglog('longrunning');

/** Where the API (1.x) keeps what is registered with it: `{ version, trace?, context?, … }`. */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1');

/** True when `@opentelemetry/api` can be resolved; asked once, without loading the package. */
function apiInstalled(): boolean {
  if (installed === undefined) {
    try {
      createRequire(import.meta.url).resolve('@opentelemetry/api');
      installed = true;
    } catch {
      installed = false;
    }
  }
  return installed;
}

/** True when some copy of the API has a tracer provider registered (the global's `trace` entry). */
function traceRegistered(): boolean {
  const globals: Record<symbol, unknown> = globalThis;
  const registered = globals[GLOBAL_KEY];
  return typeof registered === 'object' && registered !== null && 'trace' in registered;
}

/**
 * Loads `@opentelemetry/api` once; null when it cannot be loaded. Not installed is the
 * normal case and says nothing; any other load failure (a broken install) is logged under
 * NODE_DEBUG=longrunning, and tracing stays off.
 */
function loadApi(): Api | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as Api;
    } catch (error) {
      api = null;
      const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
      if (code !== 'MODULE_NOT_FOUND') debug(`tracing off: @opentelemetry/api failed to load: ${error}`);
    }
  }
  return api;
}

/** The API's stand-in provider while none is registered (valid once the API is loaded). */
let noopProvider: otel.TracerProvider | undefined;

/**
 * True when no tracer provider is registered with `loaded`: every span would be a
 * non-recording one, so a wait need not make one at all. The global provider is a proxy
 * whose delegate is the API's no-op provider until an application registers its own.
 */
function noProviderRegistered(loaded: Api): boolean {
  const global = loaded.trace.getTracerProvider();
  if (!(global instanceof loaded.ProxyTracerProvider) || typeof global.getDelegate !== 'function') {
    return false;
  }
  noopProvider ??= new loaded.ProxyTracerProvider().getDelegate();
  return global.getDelegate() === noopProvider;
}

/**
 * Starts the span of a wait on `operationName` with `strategy`, in the caller's active
 * context. Returns undefined (and creates nothing) without the API, with no tracer
 * provider registered, or when the span would not record (not sampled).
 */
export function startWaitTrace(operationName: string, strategy: string): WaitTrace | undefined {
  if (!apiInstalled() || !traceRegistered()) return undefined;
  const loaded = loadApi();
  if (loaded === null || noProviderRegistered(loaded)) return undefined;
  const parent = loaded.context.active();
  const span = loaded.trace.getTracer(TRACER_NAME).startSpan(
    WAIT_SPAN,
    {
      kind: loaded.SpanKind.INTERNAL,
      attributes: {
        'longrunning.operation.name': spanText(operationName),
        'longrunning.strategy': spanText(strategy),
      },
    },
    parent,
  );
  if (!span.isRecording()) {
    span.end();
    return undefined;
  }
  recording = true;
  const active = loaded.trace.setSpan(parent, span);
  let polls = 0;
  let ended = false;
  return {
    run: (poll) => loaded.context.with(active, poll),
    polled: (result) => {
      if (ended) return;
      polls++;
      span.addEvent(POLL_EVENT, { 'longrunning.poll.result': result });
    },
    end: (outcome) => {
      if (ended) return;
      ended = true;
      span.setAttribute('longrunning.polls', polls);
      span.setAttribute('longrunning.outcome', outcome.kind);
      if (outcome.kind === 'error') {
        const code = errorCode(outcome.error);
        if (code !== undefined) {
          span.setAttribute('longrunning.error.code', code);
          span.setAttribute('longrunning.error.code_name', codeName(code));
        }
        span.setStatus({ code: loaded.SpanStatusCode.ERROR, message: spanText(errorMessage(outcome.error)) });
      } else if (outcome.kind === 'timeout') {
        span.setStatus({ code: loaded.SpanStatusCode.ERROR, message: 'timeout' });
      }
      span.end();
    },
  };
}

/** The numeric gRPC code of an error that has one (RpcError, OperationError). */
function errorCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'number' && Number.isInteger(code) && code !== Code.OK ? code : undefined;
}

/** The message of an Error or of a google.rpc.Status-like object. */
function errorMessage(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    'message' in error &&
    typeof error.message === 'string'
  ) {
    return error.message;
  }
  return String(error);
}

/** The traces of one poll of a shared loop: every traced waiter records it; the first one's span is active. */
export interface PollTrace {
  run<T>(poll: () => T): T;
  polled(result: PollResultKind): void;
}

/**
 * The traces of the waiters a poll is made for (the keys of `waiters`), or undefined when
 * none is traced (always undefined, without looking at the waiters, until a recording
 * wait span was started).
 */
export function tracePoll(waiters: { keys(): Iterable<Traced> }): PollTrace | undefined {
  if (!recording) return undefined;
  const all: WaitTrace[] = [];
  for (const w of waiters.keys()) {
    if (w.trace !== undefined) all.push(w.trace);
  }
  const [first] = all;
  if (first === undefined) return undefined;
  return {
    run: (poll) => first.run(poll),
    polled: (result) => {
      for (const t of all) t.polled(result);
    },
  };
}

/** True when `@opentelemetry/api` could be loaded (loading it now if no wait did yet). */
export function tracingAvailable(): boolean {
  return loadApi() !== null;
}
