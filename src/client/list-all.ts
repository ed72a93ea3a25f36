/**
 * Walking every page of ListOperations: following page tokens with bounds, so that a
 * server that pages forever (a repeated token, or empty pages with ever new tokens) ends
 * the walk with an error instead of looping, and a caller can stop it by count or signal.
 */

import { abortReason } from '../base/signals.js';
import type { CallOptions, ListOperationsRequest } from '../transport/operations-transport.js';
import { Code } from '../wire/code.js';
import { RpcError } from '../wire/errors.js';
import type { Operation } from './operation.js';

/** Default of `ListAllOptions.maxEmptyPages`. */
export const DEFAULT_MAX_EMPTY_PAGES = 100;

/** One page of `listOperations`: handles on the page's operations, and the page's tokens. */
export interface OperationsPage {
  /** The operations of this page, as handles (the snapshot of each is `op.raw`). */
  operations: Operation[];
  /** The token of the next page; empty on the last. */
  nextPageToken: string;
  /** Resources the server could not reach (with `returnPartialSuccess`). */
  unreachable: string[];
}

/** Options of `listAllOperations`: those of each ListOperations call, and bounds on the whole walk. */
export interface ListAllOptions extends CallOptions {
  /** Yield at most this many operations (a whole number >= 0), fetching no page beyond them. Default: all. */
  limit?: number;
  /**
   * Stop with RpcError INTERNAL after this many empty pages in a row that each bring a new
   * page token (a server paging forever). Default `DEFAULT_MAX_EMPTY_PAGES`.
   */
  maxEmptyPages?: number;
}

/** `value` when undefined or a whole number >= `min`; else TypeError / RangeError naming `name`. */
function checkCount(value: unknown, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number (got ${typeof value})`);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number >= ${min} (got ${value})`);
  }
  return value;
}

/**
 * Every operation `listPage` returns, following page tokens from `request.pageToken`, up
 * to `options.limit`. Throws TypeError / RangeError for bad options before any call.
 * Stops with RpcError INTERNAL when the server repeats a page token, or sends
 * `maxEmptyPages` empty pages in a row with new tokens; with the signal's reason once
 * `options.signal` aborts, before the next operation or page. What `listPage` throws
 * ends the walk.
 */
export async function* listAll<T>(
  listPage: (
    request: ListOperationsRequest,
    options: CallOptions,
  ) => Promise<{ operations: readonly T[]; nextPageToken: string }>,
  request: ListOperationsRequest,
  options: ListAllOptions,
): AsyncGenerator<T> {
  const { limit: limitOption, maxEmptyPages: maxOption, ...call } = options;
  const limit = checkCount(limitOption, 'limit', 0) ?? Number.POSITIVE_INFINITY;
  const maxEmptyPages = checkCount(maxOption, 'maxEmptyPages', 1) ?? DEFAULT_MAX_EMPTY_PAGES;
  const { signal } = call;
  const fault = (message: string): RpcError => new RpcError(Code.INTERNAL, message, [], 'ListOperations');
  const seen = new Set<string>();
  let pageToken = request.pageToken ?? '';
  let yielded = 0;
  let emptyRun = 0;
  while (yielded < limit) {
    if (signal?.aborted) throw abortReason(signal);
    const page = await listPage({ ...request, pageToken }, call);
    for (const operation of page.operations) {
      if (yielded >= limit) return;
      if (signal?.aborted) throw abortReason(signal);
      yielded++;
      yield operation;
    }
    const next = page.nextPageToken;
    if (next === '') return;
    if (seen.has(next)) throw fault(`the server returned page token ${JSON.stringify(next)} twice`);
    seen.add(next);
    emptyRun = page.operations.length === 0 ? emptyRun + 1 : 0;
    if (emptyRun >= maxEmptyPages) {
      throw fault(`the server returned ${emptyRun} empty pages in a row, each with a new page token`);
    }
    pageToken = next;
  }
}
