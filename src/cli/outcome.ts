/**
 * How a command's failure is shown: one line on stderr (`lro: …`, with a hint where the
 * cause is recognisable), the stack only with --verbose, and with --json also one JSON
 * document on stdout, `{ "error": { type, message, code?, codeName?, hint? }, "exitCode",
 * "operation"? }`. Connection failures get a hint that points the right way (TLS against a
 * plaintext server, plaintext against TLS, nothing listening) instead of grpc-js's raw
 * text. Messages come from the errors themselves, which never carry header values. They
 * carry server text (names, status messages, type URLs), so they are escaped (escape.ts)
 * before they reach stderr; the JSON document is escaped by `toJson`.
 */

import { Code } from '../wire/code.js';
import { OperationError, RpcError, TimeoutError, UnknownTypeError } from '../wire/errors.js';
import { escapeControls } from './escape.js';
import { exitCodeOf, Interrupted } from './exit.js';
import { toJson } from './format.js';
import { type Io, processIo } from './io.js';

/** The flags that decide how a failure is shown. */
export interface OutcomeFlags {
  json?: boolean;
  verbose?: boolean;
  insecure?: boolean;
  rest?: string;
}

/** What a failure is called and how to get past it. */
export interface Explained {
  message: string;
  hint: string | undefined;
}

const TLS_AGAINST_PLAINTEXT =
  /wrong version number|WRONG_VERSION_NUMBER|packet length too long|http request/i;
const REFUSED = /ECONNREFUSED/;
const NOT_FOUND_HOST = /ENOTFOUND|EAI_AGAIN|Name resolution failed/;
const UNTRUSTED = /self[- ]signed|unable to (get|verify)|certificate|altnames|Hostname\/IP does not match/i;

/** The address a grpc-js connection error names (`… 127.0.0.1:1`), if any. */
function addressIn(text: string): string | undefined {
  return /(?:ECONNREFUSED|ENOTFOUND|EAI_AGAIN) (\S+?)\.?(?:\s|$)/.exec(text)?.[1];
}

/** A short message and a hint for `error`; raw texts stay for --verbose. */
export function explain(error: unknown, flags: OutcomeFlags): Explained {
  const message = error instanceof Error ? error.message : String(error);
  if (TimeoutError.is(error)) {
    // The library names its option; a CLI user set --timeout.
    return {
      message: message.replace(/after timeoutMs (\d+(?:\.\d+)?)/, 'after --timeout $1ms'),
      hint: undefined,
    };
  }
  if (UnknownTypeError.is(error)) {
    return {
      message,
      hint:
        error.expectedType === undefined
          ? `pass --proto with the .proto file that defines ${error.typeUrl.slice(error.typeUrl.lastIndexOf('/') + 1)} (and -I for its imports)`
          : undefined,
    };
  }
  if (!RpcError.is(error) || error.code !== Code.UNAVAILABLE || flags.rest !== undefined) {
    return { message, hint: undefined };
  }
  const raw = error.rawMessage;
  const where = addressIn(raw);
  const head = `UNAVAILABLE: cannot connect${where === undefined ? '' : ` to ${where}`} (${error.method})`;
  if (REFUSED.test(raw)) {
    return { message: `${head}: connection refused`, hint: 'is the server running, and is the port right?' };
  }
  if (NOT_FOUND_HOST.test(raw)) {
    return { message: `${head}: the host name does not resolve`, hint: 'check the host in --target' };
  }
  if (flags.insecure !== true && TLS_AGAINST_PLAINTEXT.test(raw)) {
    return {
      message: `${head}: the TLS handshake failed: the server does not speak TLS`,
      hint: 'pass --insecure for a plaintext server',
    };
  }
  if (flags.insecure !== true && UNTRUSTED.test(raw)) {
    return { message: `${head}: the server's TLS certificate is not trusted`, hint: undefined };
  }
  if (flags.insecure === true && error.hint !== undefined) {
    return {
      message: `${head}: no answer in plaintext`,
      hint: 'if the server expects TLS, leave out --insecure',
    };
  }
  return { message, hint: undefined };
}

/** What --json prints for a failure: its kind, words and code, and the exit code it stands for. */
export interface FailureDocument {
  error: { type: string; message: string; code?: number; codeName?: string; hint?: string };
  exitCode: number;
  /** The last snapshot of the operation waited on, when there was one. */
  operation?: unknown;
}

/** The JSON document a failure prints on stdout with --json. */
export function failureDocument(error: unknown, flags: OutcomeFlags, operation?: unknown): FailureDocument {
  const { message, hint } = explain(error, flags);
  const type = error instanceof Interrupted ? 'Interrupted' : error instanceof Error ? error.name : 'Error';
  const coded = RpcError.is(error) ? { code: error.code, codeName: error.codeName } : {};
  return {
    error: { type, message, ...coded, ...(hint === undefined ? {} : { hint }) },
    exitCode: exitCodeOf(error),
    ...(operation === undefined ? {} : { operation }),
  };
}

/**
 * The stderr line(s) for a failure: `lro: <message>` and `lro: hint: <hint>` when there is
 * one, each escaped; `prefix` (e.g. an operation name) goes before the message.
 */
export function failureLines(error: unknown, flags: OutcomeFlags, prefix = ''): string {
  const { message, hint } = explain(error, flags);
  const head = `lro: ${escapeControls(prefix)}${escapeControls(message)}\n`;
  return hint === undefined ? head : `${head}lro: hint: ${escapeControls(hint)}\n`;
}

/**
 * The stack of `error` for --verbose, escaped: its message (server text) as text, the
 * frames below it with their line feeds kept.
 */
export function escapedStack(error: Error): string {
  const stack = error.stack ?? '';
  const at = error.message === '' ? -1 : stack.indexOf(error.message);
  if (at === -1) return escapeControls(stack, 'lines');
  const end = at + error.message.length;
  return (
    escapeControls(stack.slice(0, at), 'lines') +
    escapeControls(error.message) +
    escapeControls(stack.slice(end), 'lines')
  );
}

/**
 * Reports `error` (stderr line, stack with --verbose, JSON document with --json unless
 * `jsonPrinted`) and returns its exit code. `operation` is the last snapshot, for --json.
 */
export function reportFailure(
  error: unknown,
  flags: OutcomeFlags,
  io: Io = processIo,
  options: { operation?: unknown; jsonPrinted?: boolean } = {},
): number {
  const code = exitCodeOf(error);
  if (flags.json === true && options.jsonPrinted !== true) {
    io.out.write(`${toJson(failureDocument(error, flags, options.operation), 2)}\n`);
  }
  // A failed operation's error is in the printed snapshot already; anything else needs words.
  if (!OperationError.is(error)) io.err.write(failureLines(error, flags));
  if (flags.verbose === true && error instanceof Error && error.stack !== undefined) {
    io.err.write(`${escapedStack(error)}\n`);
  }
  return code;
}
