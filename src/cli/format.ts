/**
 * Text and JSON renderings of operations for `lro` output. Never throws on undecodable
 * values. Every string that comes from the server is escaped (escape.ts): the text views
 * escape each one, `toJson` escapes its whole output.
 */
import type { Operation } from '../client/operation.js';
import { formatDuration } from './duration.js';
import { escapeControls } from './escape.js';

/** What the renderers read of an operation handle, whatever its response and metadata types. */
export type OperationView = Pick<
  Operation,
  'name' | 'done' | 'cancelled' | 'progress' | 'raw' | 'metadata' | 'response' | 'error' | 'toJSON'
>;

/**
 * JSON.stringify that shows bytes as base64 instead of Buffer's array form, and writes DEL,
 * C1 and bidi controls as `\u` escapes (JSON.stringify leaves them raw), so the document is
 * safe on a terminal and parses to the same value. Without `indent` the result has no raw
 * control character at all, so it can sit inside a line of text.
 */
export function toJson(value: unknown, indent?: number): string {
  const json = JSON.stringify(
    value,
    function replacer(this: unknown, key: string, v: unknown) {
      const raw = (this as Record<string, unknown>)[key];
      return raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : v;
    },
    indent,
  );
  // JSON.stringify returns undefined for undefined (and functions); the type says string.
  return json === undefined ? 'undefined' : escapeControls(json, 'json');
}

/** Adds `@type` (the Any's type URL) in front of a decoded message; other values pass through. */
function typed(typeUrl: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value))
    return value;
  return '@type' in value ? value : { '@type': typeUrl, ...value };
}

/**
 * The JSON view of a snapshot that `lro --json` prints: `op.toJSON()` with `@type` on
 * every Any (metadata, response, error details), decoded or not, in proto3 JSON naming
 * (camelCase fields, as the text view shows them too).
 */
export function snapshotJson(op: OperationView): Record<string, unknown> {
  const json: Record<string, unknown> = { ...op.toJSON() };
  const { raw } = op;
  if (raw.metadata != null && 'metadata' in json) json.metadata = typed(raw.metadata.type_url, json.metadata);
  if (raw.response != null && 'response' in json) json.response = typed(raw.response.type_url, json.response);
  const error = json.error;
  const anys = raw.error?.details ?? [];
  if (typeof error === 'object' && error !== null && 'details' in error && Array.isArray(error.details)) {
    json.error = {
      ...error,
      details: error.details.map((d: unknown, i: number) => {
        const url = anys[i]?.type_url;
        if (url === undefined || typeof d !== 'object' || d === null) return d;
        const { typeName: _typeName, value, ...rest } = d as { typeName?: unknown; value?: unknown };
        return value === undefined ? { '@type': url, ...rest } : typed(url, value);
      }),
    };
  }
  return json;
}

/** What an operation's snapshot says of it. */
export type OperationState = 'RUNNING' | 'DONE' | 'FAILED' | 'CANCELLED';

/** RUNNING, DONE, FAILED or CANCELLED. */
export function stateOf(op: OperationView): OperationState {
  if (!op.done) return 'RUNNING';
  if (op.cancelled) return 'CANCELLED';
  return op.raw.error != null ? 'FAILED' : 'DONE';
}

function safe(read: () => unknown): unknown {
  try {
    return read();
  } catch (error) {
    return `<${error instanceof Error ? error.message : String(error)}>`;
  }
}

/**
 * One line for a progress log or a list: `name  RUNNING  42%  3.1s  (metadata state: X)`.
 * A done operation shows no metadata state (the server stopped updating it, so it is
 * stale) and its progress only as where it stopped (`stopped at 40%`) unless it succeeded.
 */
export function oneLine(op: OperationView, elapsedMs?: number): string {
  const state = stateOf(op);
  const parts = [escapeControls(op.name), state];
  const progress = op.progress;
  if (progress !== undefined) {
    const percent = `${Math.round(progress)}%`;
    if (!op.done || state === 'DONE') parts.push(percent);
    else if (Math.round(progress) < 100) parts.push(`stopped at ${percent}`);
  }
  if (elapsedMs !== undefined) parts.push(formatDuration(elapsedMs));
  const metadata = op.done ? undefined : safe(() => op.metadata);
  if (
    typeof metadata === 'object' &&
    metadata !== null &&
    'state' in metadata &&
    typeof metadata.state === 'string'
  ) {
    if (metadata.state !== '' && metadata.state !== state)
      parts.push(`(metadata state: ${escapeControls(metadata.state)})`);
  }
  return parts.join('  ');
}

/** A multi-line description of a snapshot with metadata, response and error details decoded. */
export function describe(op: OperationView): string {
  const lines = [`name:      ${escapeControls(op.name)}`, `state:     ${stateOf(op)}`];
  const progress = op.progress;
  if (progress !== undefined) lines.push(`progress:  ${Math.round(progress)}%`);
  const { raw } = op;
  if (raw.metadata != null)
    lines.push(`metadata:  ${toJson(safe(() => op.metadata))}  (${escapeControls(raw.metadata.type_url)})`);
  if (raw.done && raw.response != null) {
    lines.push(`response:  ${toJson(safe(() => op.response))}  (${escapeControls(raw.response.type_url)})`);
  }
  const error = op.error;
  if (error !== undefined) {
    lines.push(`error:     ${escapeControls(error.message)}`);
    for (const d of error.details) {
      const value = d.value === undefined ? `(undecoded, ${d.bytes?.length ?? 0} bytes)` : toJson(d.value);
      lines.push(`  detail:  ${escapeControls(d.typeName)} ${value}`);
    }
  }
  return lines.join('\n');
}
