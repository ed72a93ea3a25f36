/**
 * The in-memory state of a fake Operations service, kept apart from the server so that a
 * server can be stopped and another started (on the same port) over the same operations.
 * (A little over ~250 lines: the store, its change listeners and its list paging share one
 * map of operations and read best together.)
 */
import type { Any__Output } from '../generated/google/protobuf/Any.js';
import type { Any, RawOperation, RawStatus } from '../wire/types.js';

/** A `google.rpc.Status` as the store accepts it: details may hold any byte container. */
export interface StatusInput {
  /** A gRPC code. */
  readonly code: number;
  /** The status message. */
  readonly message: string;
  /** Error details. */
  readonly details?: readonly Any[];
}

/**
 * Fields of an operation that `create` and `update` set. In `update` an absent field is
 * left as it is; in `create` it starts empty (`done: false`, everything else null). No
 * consistency is checked: a done operation without a result, or with an `error` whose
 * code is 0, is stored as given (tests of hostile servers need exactly that).
 */
export interface OperationFields {
  /** New metadata. */
  readonly metadata?: Any | null;
  /** Marks the operation done. */
  readonly done?: boolean;
  /** The error it finished with. */
  readonly error?: StatusInput | null;
  /** The response it finished with. */
  readonly response?: Any | null;
}

/** Which operations `list` and `page` return besides the name prefix. */
export interface OperationFilter {
  /** Only operations whose `done` equals this; absent for all. */
  readonly done?: boolean;
}

/** One page of `OperationStore.page`. */
export interface StorePage {
  /** The operations of this page. */
  readonly operations: RawOperation[];
  /** Pass as `after` to get the next page. Only meaningful when `more` is true. */
  readonly cursor: number;
  /** True when at least one more matching operation follows this page. */
  readonly more: boolean;
}

/** Called with the operation after each change, or with undefined when it was deleted. */
export type OperationListener = (operation: RawOperation | undefined) => void;

interface Entry {
  /** Creation order across the whole store; a cursor for `page`. */
  readonly seq: number;
  /** The current snapshot (frozen, replaced on every change). */
  operation: RawOperation;
}

/** The status of a cancelled operation. */
const CANCELLED = Object.freeze({ code: 1, message: 'operation cancelled' });

/** `any` with its bytes as a Buffer (sharing memory), the shape decoded off the wire. */
function toAnyOutput(any: Any): Any__Output {
  const v = any.value;
  return {
    type_url: any.type_url,
    value: Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength),
  };
}

function toStatusOutput(status: StatusInput): RawStatus {
  return {
    code: status.code,
    message: status.message,
    details: Object.freeze((status.details ?? []).map(toAnyOutput)) as Any__Output[],
  };
}

/**
 * Builds a frozen snapshot in exactly the shape a client decodes off the wire: `error` and
 * `response` (and the `result` oneof name) only when set; `result` names `response` when
 * both are set, as protobufjs does for the last field of a oneof on the wire.
 */
function snapshot(name: string, fields: Required<OperationFields>): RawOperation {
  const operation: RawOperation = {
    name,
    metadata: fields.metadata === null ? null : toAnyOutput(fields.metadata),
    done: fields.done,
  };
  if (fields.error !== null) {
    operation.error = toStatusOutput(fields.error);
    operation.result = 'error';
  }
  if (fields.response !== null) {
    operation.response = toAnyOutput(fields.response);
    operation.result = 'response';
  }
  return Object.freeze(operation);
}

function fieldsOf(operation: RawOperation): Required<OperationFields> {
  return {
    metadata: operation.metadata,
    done: operation.done,
    error: operation.error ?? null,
    response: operation.response ?? null,
  };
}

/**
 * Operations by name, in creation order, with change listeners. Snapshots are frozen and
 * replaced on each change, so one read is never altered by a later change. Lookups of
 * unknown names return undefined; only `create` throws.
 */
export class OperationStore {
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Map<string, Set<OperationListener>>();
  #seq = 0;
  #version = 0;

  /** Increases by one on every change to any operation (create, update, cancel, delete). */
  get version(): number {
    return this.#version;
  }

  /** How many operations the store holds. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when an operation named `name` exists. */
  has(name: string): boolean {
    return this.#entries.has(name);
  }

  /**
   * Adds an operation at the end of the creation order and notifies its listeners. Throws
   * a TypeError for an empty name and an Error when the name is taken.
   */
  create(name: string, fields: OperationFields = {}): RawOperation {
    if (typeof name !== 'string' || name === '')
      throw new TypeError('operation name must be a non-empty string');
    if (this.#entries.has(name)) throw new Error(`operation ${name} already exists`);
    const operation = snapshot(name, {
      metadata: fields.metadata ?? null,
      done: fields.done ?? false,
      error: fields.error ?? null,
      response: fields.response ?? null,
    });
    this.#entries.set(name, { seq: ++this.#seq, operation });
    this.#changed(name, operation);
    return operation;
  }

  /** The current snapshot of `name`, or undefined. */
  get(name: string): RawOperation | undefined {
    return this.#entries.get(name)?.operation;
  }

  /**
   * Replaces the given fields of `name` and notifies its listeners. Returns the new
   * snapshot, or undefined (and changes nothing) when there is no such operation.
   */
  update(name: string, fields: OperationFields): RawOperation | undefined {
    const entry = this.#entries.get(name);
    if (entry === undefined) return undefined;
    entry.operation = snapshot(name, { ...fieldsOf(entry.operation), ...fields });
    this.#changed(name, entry.operation);
    return entry.operation;
  }

  /**
   * Cancels `name`: a running operation becomes done with error CANCELLED ('operation
   * cancelled') and no response; a done one is left unchanged and nobody is notified.
   * Returns the resulting snapshot, or undefined when there is no such operation.
   */
  cancel(name: string): RawOperation | undefined {
    const current = this.get(name);
    if (current === undefined || current.done) return current;
    return this.update(name, { done: true, error: CANCELLED, response: null });
  }

  /** Removes `name` and notifies its listeners with undefined. False when it did not exist. */
  delete(name: string): boolean {
    if (!this.#entries.delete(name)) return false;
    this.#changed(name, undefined);
    return true;
  }

  /** Every operation whose name starts with `prefix` and that matches `filter`, in creation order. */
  list(prefix = '', filter: OperationFilter = {}): RawOperation[] {
    return this.page(prefix, filter, 0, Number.POSITIVE_INFINITY).operations;
  }

  /**
   * Up to `limit` operations matching `names` (a name prefix, or a test of the name) and
   * `filter`, created after the one `after` points to (0 for the start), in creation
   * order. Cursors are stable: deleting, completing or creating operations never makes a
   * later page skip or repeat one.
   */
  page(
    names: string | ((name: string) => boolean),
    filter: OperationFilter,
    after: number,
    limit: number,
  ): StorePage {
    const operations: RawOperation[] = [];
    let cursor = after;
    const matches = typeof names === 'string' ? (name: string) => name.startsWith(names) : names;
    for (const [name, entry] of this.#entries) {
      if (entry.seq <= after || !matches(name)) continue;
      if (filter.done !== undefined && entry.operation.done !== filter.done) continue;
      if (operations.length >= limit) return { operations, cursor, more: true };
      operations.push(entry.operation);
      cursor = entry.seq;
    }
    return { operations, cursor, more: false };
  }

  /**
   * Calls `listener` after every change to the operation named `name` (which need not
   * exist yet) until the returned function is called. Listeners run synchronously in
   * subscription order; if one throws, the others still run and the first error is
   * rethrown to the caller of the change, after the change was applied.
   */
  subscribe(name: string, listener: OperationListener): () => void {
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(name);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(name);
    };
  }

  /** How many listeners are subscribed to `name` (for leak checks in tests). */
  listenerCount(name: string): number {
    return this.#listeners.get(name)?.size ?? 0;
  }

  #changed(name: string, operation: RawOperation | undefined): void {
    this.#version++;
    const set = this.#listeners.get(name);
    if (set === undefined) return;
    let failure: { error: unknown } | undefined;
    for (const listener of [...set]) {
      try {
        listener(operation);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure !== undefined) throw failure.error;
  }
}
