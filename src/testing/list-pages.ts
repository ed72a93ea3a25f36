/**
 * ListOperations for the fake server: the filter grammar, page sizes and opaque page
 * tokens over an OperationStore.
 */
import { createHash } from 'node:crypto';
import type { ListOperationsRequest__Output } from '../generated/google/longrunning/ListOperationsRequest.js';
import { Code } from '../wire/code.js';
import type { RawListResponse } from '../wire/types.js';
import { RpcFailure } from './faults.js';
import type { OperationFilter, OperationStore } from './operation-store.js';

/** The page size used when a request asks for 0. */
export const DEFAULT_PAGE_SIZE = 100;

/** The largest page returned, whatever the request asks for. */
export const MAX_PAGE_SIZE = 1000;

const FILTER = /^\s*done\s*=\s*(true|false)\s*$/;

/**
 * Parses a ListOperations filter: '' (or blanks), 'done=true' or 'done=false', with
 * blanks allowed around '='. Anything else is undefined.
 */
export function parseFilter(filter: string): OperationFilter | undefined {
  if (filter.trim() === '') return {};
  const match = FILTER.exec(filter);
  return match === null ? undefined : { done: match[1] === 'true' };
}

/** What a page token must match: the request's name prefix and (parsed) filter. */
function fingerprint(prefix: string, filter: OperationFilter): string {
  return createHash('sha256')
    .update(JSON.stringify([prefix, filter.done ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

/** Encodes the cursor of the last operation returned and the query it belongs to. */
function encodeToken(cursor: number, query: string): string {
  return Buffer.from(JSON.stringify({ after: cursor, q: query })).toString('base64url');
}

/** The cursor in `token`, or undefined when it does not decode or was made for another query. */
function decodeToken(token: string, query: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const { after, q } = parsed as { after?: unknown; q?: unknown };
    if (typeof after !== 'number' || !Number.isSafeInteger(after) || after < 0 || q !== query)
      return undefined;
    return after;
  } catch {
    return undefined;
  }
}

/**
 * True when operation `name` belongs to the collection of `parent`, as googleapis name
 * operations: `<parent>/operations/<id>` (`projects/p/locations/l` for
 * `projects/p/locations/l/operations/123`); a parent that is itself a collection
 * (`operations`, `…/operations`) holds the names below it (`operations/123`). An empty
 * parent holds every operation.
 */
export function inCollection(name: string, parent: string): boolean {
  if (parent === '') return true;
  if (name.startsWith(`${parent}/operations/`)) return true;
  return (parent === 'operations' || parent.endsWith('/operations')) && name.startsWith(`${parent}/`);
}

/**
 * Answers one ListOperations request: the operations of the collection `name` (see
 * `inCollection`; empty for all) that match `filter`, in creation order, `pageSize` at a time (0 → 100, at most
 * 1000), less what `quirks` leave out. `nextPageToken` is empty on the last page;
 * `unreachable` is always empty. Throws
 * RpcFailure INVALID_ARGUMENT for an unsupported filter, a negative page size, or a page
 * token that does not decode or was issued for a different name or filter.
 */
/** How the fake server's listings stray from a perfect index, for tests of clients that rely on them. */
export interface ListingQuirks {
  /** Names left out of every listing, as an index that lags behind does. */
  readonly unlisted: ReadonlySet<string>;
  /** True: the filter is checked but not applied, as some servers do. */
  readonly ignoresFilter: boolean;
}

const NO_QUIRKS: ListingQuirks = { unlisted: new Set(), ignoresFilter: false };

export function listPage(
  store: OperationStore,
  request: ListOperationsRequest__Output,
  quirks: ListingQuirks = NO_QUIRKS,
): RawListResponse {
  const parsed = parseFilter(request.filter);
  const filter = quirks.ignoresFilter && parsed !== undefined ? {} : parsed;
  if (filter === undefined) {
    throw new RpcFailure(
      Code.INVALID_ARGUMENT,
      `unsupported filter ${JSON.stringify(request.filter)}: use '', 'done=true' or 'done=false'`,
    );
  }
  if (request.pageSize < 0) {
    throw new RpcFailure(Code.INVALID_ARGUMENT, `page_size must be >= 0 (got ${request.pageSize})`);
  }
  const pageSize = request.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(request.pageSize, MAX_PAGE_SIZE);
  const query = fingerprint(request.name, filter);
  let after = 0;
  if (request.pageToken !== '') {
    const decoded = decodeToken(request.pageToken, query);
    if (decoded === undefined) throw new RpcFailure(Code.INVALID_ARGUMENT, 'invalid page_token');
    after = decoded;
  }
  const parent = request.name;
  const { unlisted } = quirks;
  const page = store.page(
    (name) => inCollection(name, parent) && !unlisted.has(name),
    filter,
    after,
    pageSize,
  );
  return {
    operations: page.operations,
    nextPageToken: page.more ? encodeToken(page.cursor, query) : '',
    unreachable: [],
  };
}
