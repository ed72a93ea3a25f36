/**
 * The rule that a snapshot answers for the operation that was asked about. A server (or a
 * proxy) that returns another operation's snapshot, or an empty one, would otherwise make a
 * handle adopt that name, and its later `cancel()` / `delete()` go to someone else's
 * operation.
 */

import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import type { RawOperation } from '../wire/types.js';

/**
 * Returns `raw` when its name is `requested`. Otherwise throws RpcError INTERNAL (a server
 * fault, not retried) for `method`, naming both: the requested name and the one returned.
 */
export function checkSnapshotName(raw: RawOperation, requested: string, method: string): RawOperation {
  if (raw.name === requested) return raw;
  throw new RpcError(
    Code.INTERNAL,
    `asked for operation ${JSON.stringify(requested)}, the server answered with ${raw.name === '' ? 'an unnamed operation' : `operation ${JSON.stringify(raw.name)}`}`,
    [],
    method,
  );
}
