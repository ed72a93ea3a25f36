/**
 * OpenTelemetry tracing of waits, when `@opentelemetry/api` is installed (an optional peer
 * dependency). Each wait is one `longrunning.wait` span, a child of the caller's active
 * span; each poll made while the wait is joined to its loop is a `longrunning.poll` event
 * on it; and the poll runs with the wait's span active, so the RPC spans of an instrumented
 * application (grpc-js or HTTP instrumentation) nest under the wait.
 *
 * The API is loaded at the first wait, synchronously (`require`), and the result is cached:
 * a dynamic `import()` would resolve only after the first wait's first poll has started.
 * Without the package, or with no tracer provider registered (spans that do not record),
 * nothing is created and a poll costs one boolean check.
 */

import { createRequire } from 'node:module';
import { debuglog } from 'node:util';
import type * as otel from '@opentelemetry/api';
import { Code, codeName } from '../proto/code.js';

/** The name of the tracer wait spans are made with. */
export const TRACER_NAME = 'longrunning';
/** The name of the span of one wait. */
export const WAIT_SPAN = 'longrunning.wait';
/** The name of the event recorded on a wait span for each poll. */
export const POLL_EVENT = 'longrunning.poll';

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

/** The loaded API: undefined before the first wait, null when it is not installed. */
let api: Api | null | undefined;
/** True once a recording wait span was started: until then polls skip the trace lookup. */
let recording = false;

/** NODE_DEBUG=longrunning output. */
const debug = debuglog('longrunning');

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

/**
 * Starts the span of a wait on `operationName` with `strategy`, in the caller's active
 * context. Returns undefined (and creates nothing) without the API, or when the span
 * would not record (no tracer provider, or not sampled).
 */
export function startWaitTrace(operationName: string, strategy: string): WaitTrace | undefined {
  const loaded = loadApi();
  if (loaded === null) return undefined;
  const parent = loaded.context.active();
  const span = loaded.trace.getTracer(TRACER_NAME).startSpan(
    WAIT_SPAN,
    {
      kind: loaded.SpanKind.INTERNAL,
      attributes: { 'longrunning.operation.name': operationName, 'longrunning.strategy': strategy },
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
        span.setStatus({ code: loaded.SpanStatusCode.ERROR, message: errorMessage(outcome.error) });
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
 * The traces of the waiters a poll is made for, or undefined when none is traced (always
 * undefined, without looking at the waiters, until a recording wait span was started).
 */
export function tracePoll(waiters: Iterable<Traced>): PollTrace | undefined {
  if (!recording) return undefined;
  const all: WaitTrace[] = [];
  for (const w of waiters) {
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
