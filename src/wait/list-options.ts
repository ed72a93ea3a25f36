/**
 * The `listPolling` client option (polling rule 13): when and how the polling waits of one
 * parent resource are served by one ListOperations per tick instead of a GetOperation each.
 */
import { checkCount } from '../base/validate.js';

/** How list reaping finds a wait's parent and lists it. Every field is optional. */
export interface ListPollingOptions {
  /**
   * The parent resource of an operation name, whose ListOperations lists it; undefined
   * when the name has none (it is then never reaped). Default `defaultParentOf`.
   */
  parentOf?: (name: string) => string | undefined;
  /** The filter that lists the running operations of a parent (default `'done=false'`). */
  filter?: string;
  /** Polling waits of one parent from which their polls are replaced by listings (default 8). */
  minWaits?: number;
  /** Operations asked for per page (default 1000; servers may cap it lower). */
  pageSize?: number;
  /** Pages one listing may take; a running set that needs more switches reaping off for the parent (default 10). */
  maxPages?: number;
}

/** List reaping options with every field present and checked. */
export type ResolvedListPolling = Required<ListPollingOptions>;

/** Default `minWaits`. */
export const DEFAULT_MIN_WAITS = 8;
/** Default `pageSize`. */
export const DEFAULT_LIST_PAGE_SIZE = 1000;
/** Default `maxPages`. */
export const DEFAULT_MAX_LIST_PAGES = 10;
/** Default `filter`: the running operations. */
export const RUNNING_FILTER = 'done=false';

/**
 * The parent of an operation name, as googleapis' `{name=projects/*\/locations/*}/operations`
 * rules take it: the part before `/operations/<id>` (`projects/p/locations/l` for
 * `projects/p/locations/l/operations/123`), and `operations` for `operations/123`.
 * Undefined for a name of neither form (e.g. Speech's bare ids), which is never reaped.
 */
export function defaultParentOf(name: string): string | undefined {
  const at = name.lastIndexOf('/operations/');
  const id = at === -1 ? name.slice('operations/'.length) : name.slice(at + '/operations/'.length);
  if (id === '' || id.includes('/')) return undefined;
  if (at > 0) return name.slice(0, at);
  return at === -1 && name.startsWith('operations/') ? 'operations' : undefined;
}

/**
 * `listPolling` checked and filled in: `false` (no reaping) stays false; `'auto'` and
 * undefined are the defaults. Throws TypeError / RangeError naming the field.
 */
export function resolveListPolling(option: unknown): ResolvedListPolling | false {
  if (option === false) return false;
  if (option !== undefined && option !== 'auto' && (typeof option !== 'object' || option === null)) {
    throw new TypeError(`listPolling must be 'auto', false or an object (got ${typeof option})`);
  }
  const o = (typeof option === 'object' ? option : {}) as Record<string, unknown>;
  if (o.parentOf !== undefined && typeof o.parentOf !== 'function') {
    throw new TypeError('listPolling.parentOf must be a function (name) => parent | undefined');
  }
  if (o.filter !== undefined && typeof o.filter !== 'string') {
    throw new TypeError(`listPolling.filter must be a string (got ${typeof o.filter})`);
  }
  return {
    parentOf: (o.parentOf as ListPollingOptions['parentOf']) ?? defaultParentOf,
    filter: (o.filter as string | undefined) ?? RUNNING_FILTER,
    minWaits:
      o.minWaits === undefined ? DEFAULT_MIN_WAITS : checkCount(o.minWaits, 'listPolling.minWaits', 1),
    pageSize:
      o.pageSize === undefined
        ? DEFAULT_LIST_PAGE_SIZE
        : checkCount(o.pageSize, 'listPolling.pageSize', 1, 2 ** 31 - 1),
    maxPages:
      o.maxPages === undefined ? DEFAULT_MAX_LIST_PAGES : checkCount(o.maxPages, 'listPolling.maxPages', 1),
  };
}
