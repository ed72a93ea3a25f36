/** Text and JSON renderings of operations for `lro` output. Never throws on undecodable values. */
import type { Operation } from '../client/operation.js';
import { formatDuration } from './duration.js';

/** What the renderers read of an operation handle, whatever its response and metadata types. */
export type OperationView = Pick<
  Operation,
  'name' | 'done' | 'cancelled' | 'progress' | 'raw' | 'metadata' | 'response' | 'error' | 'toJSON'
>;

/** JSON.stringify that shows bytes as base64 instead of Buffer's array form. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    function replacer(this: unknown, key: string, v: unknown) {
      const raw = (this as Record<string, unknown>)[key];
      return raw instanceof Uint8Array ? Buffer.from(raw).toString('base64') : v;
    },
    indent,
  );
}

/** RUNNING, DONE, FAILED or CANCELLED. */
export function stateOf(op: OperationView): string {
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

/** One line for a progress log or a list: `name  STATE  42%  3.1s  state-of-metadata`. */
export function oneLine(op: OperationView, elapsedMs?: number): string {
  const parts = [op.name, stateOf(op)];
  const progress = op.progress;
  if (progress !== undefined) parts.push(`${Math.round(progress)}%`);
  if (elapsedMs !== undefined) parts.push(formatDuration(elapsedMs));
  const metadata = safe(() => op.metadata);
  if (
    typeof metadata === 'object' &&
    metadata !== null &&
    'state' in metadata &&
    typeof metadata.state === 'string'
  ) {
    if (metadata.state !== '' && metadata.state !== stateOf(op)) parts.push(metadata.state);
  }
  return parts.join('  ');
}

/** A multi-line description of a snapshot with metadata, response and error details decoded. */
export function describe(op: OperationView): string {
  const lines = [`name:      ${op.name}`, `state:     ${stateOf(op)}`];
  const progress = op.progress;
  if (progress !== undefined) lines.push(`progress:  ${Math.round(progress)}%`);
  const { raw } = op;
  if (raw.metadata != null)
    lines.push(`metadata:  ${toJson(safe(() => op.metadata))}  (${raw.metadata.type_url})`);
  if (raw.done && raw.response != null) {
    lines.push(`response:  ${toJson(safe(() => op.response))}  (${raw.response.type_url})`);
  }
  const error = op.error;
  if (error !== undefined) {
    lines.push(`error:     ${error.message}`);
    for (const d of error.details) {
      lines.push(
        `  detail:  ${d.typeName} ${d.value === undefined ? `(undecoded, ${d.bytes?.length ?? 0} bytes)` : toJson(d.value)}`,
      );
    }
  }
  return lines.join('\n');
}
