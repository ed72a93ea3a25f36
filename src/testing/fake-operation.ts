/**
 * Driving one operation of a fake server from a test: a handle that sets its metadata and
 * result, and a timed job that advances it on its own (`simulate`).
 */

import type { Registry } from '../proto/registry.js';
import { Code } from '../wire/code.js';
import type { Any, RawOperation } from '../wire/types.js';
import type { OperationFields, OperationStore, StatusInput } from './operation-store.js';
import type { TimerSet } from './timer-set.js';

/** How an operation fails: a non-zero code, a message and optional details. */
export interface FailWith {
  /** A non-zero gRPC code. */
  readonly code: number;
  /** The status message. */
  readonly message: string;
  /** Error details (e.g. `registry.pack('google.rpc.ErrorInfo', …)`). */
  readonly details?: readonly Any[];
}

/** A job for `FakeOperationsServer.simulate`. */
export interface SimulateOptions {
  /** How long the job runs in ms (0: done at once). */
  readonly durationMs: number;
  /** How many metadata updates after the initial one (default 10). */
  readonly steps?: number;
  /** The type the job ends with, packed with the server's registry. */
  readonly responseType: string;
  /** The response value, packed as `responseType`. */
  readonly response: object;
  /** The type of every metadata update. */
  readonly metadataType: string;
  /** Metadata at step `step` of `steps` (`fraction` = step / steps). Default `{ progressPercent }`. */
  readonly metadata?: (fraction: number, step: number) => object;
  /** When given, the job ends with this error instead of the response. */
  readonly fail?: FailWith;
  /** The operation name (default `operations/<id>`). */
  readonly name?: string;
}

/**
 * A test's handle on one operation of a fake server. Each setter changes the shared store
 * at once (waking WaitOperation calls) and returns the handle. Every method throws an
 * Error once the operation has been deleted.
 */
export class FakeOperationHandle {
  /** The operation's full name. */
  readonly name: string;
  /** The type `setMetadata` packs with; undefined when none was given at creation. */
  readonly metadataType: string | undefined;
  readonly #store: OperationStore;
  readonly #registry: Registry;

  /** Made by `FakeOperationsServer.create` / `simulate`; the operation must already exist. */
  constructor(store: OperationStore, registry: Registry, name: string, metadataType?: string) {
    this.#store = store;
    this.#registry = registry;
    this.name = name;
    this.metadataType = metadataType;
  }

  /** The operation as GetOperation returns it now (a frozen snapshot). */
  get snapshot(): RawOperation {
    const operation = this.#store.get(this.name);
    if (operation === undefined) throw new Error(`operation ${this.name} was deleted`);
    return operation;
  }

  /** True once the operation is done (succeeded, failed or cancelled). */
  get done(): boolean {
    return this.snapshot.done;
  }

  /**
   * Packs `value` as the handle's metadata type and makes it the metadata. Throws an
   * Error when the handle has no metadata type, UnknownTypeError when the registry lacks it.
   */
  setMetadata(value: object): this {
    if (this.metadataType === undefined) {
      throw new Error(`setMetadata(${this.name}): no metadataType was given when the operation was created`);
    }
    return this.setRaw({ metadata: this.#registry.pack(this.metadataType, value) });
  }

  /** Marks the operation done with `value` packed as `responseType`. Throws UnknownTypeError for an unknown type. */
  succeed(responseType: string, value: object): this {
    return this.setRaw({ done: true, error: null, response: this.#registry.pack(responseType, value) });
  }

  /** Marks the operation done with an error. Throws a RangeError for code 0 (use `setRaw` for that). */
  fail(error: FailWith): this {
    if (!Number.isInteger(error.code) || error.code === 0) {
      throw new RangeError(`fail(${this.name}): code must be a non-zero status code (got ${error.code})`);
    }
    const status: StatusInput = { code: error.code, message: error.message, details: error.details ?? [] };
    return this.setRaw({ done: true, error: status, response: null });
  }

  /**
   * Sets raw fields as given, unchecked: done without a result, an error with code 0,
   * unknown type URLs, corrupt bytes — whatever a hostile server might send.
   */
  setRaw(fields: OperationFields): this {
    if (this.#store.update(this.name, fields) === undefined) {
      throw new Error(`operation ${this.name} was deleted`);
    }
    return this;
  }
}

/**
 * Runs `options` on `handle` with the timers of `timers`: the initial metadata is
 * expected to be set already; steps 1..n follow at `durationMs × step / n`, and the last
 * one also sets the result. The job stops early, changing nothing more, once the operation
 * is done (cancelled, or finished by the test) or deleted. A `metadata` callback that
 * throws fails the operation with INTERNAL.
 */
export function runSimulation(
  handle: FakeOperationHandle,
  store: OperationStore,
  timers: TimerSet,
  options: SimulateOptions,
  response: Any,
): void {
  const steps = simulationSteps(options);
  const durationMs = Number.isFinite(options.durationMs) ? Math.max(options.durationMs, 0) : 0;
  const at = (step: number): number => Math.round((durationMs * step) / steps);
  const step = (i: number): void => {
    const current = store.get(handle.name);
    if (current === undefined || current.done) return;
    try {
      handle.setMetadata(simulationMetadata(options, i, steps));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      handle.fail({ code: Code.INTERNAL, message: `simulation of ${handle.name} failed: ${reason}` });
      return;
    }
    if (i < steps) {
      timers.after(at(i + 1) - at(i), () => step(i + 1));
    } else if (options.fail !== undefined) {
      handle.fail(options.fail);
    } else {
      handle.setRaw({ done: true, error: null, response });
    }
  };
  if (durationMs === 0) step(steps);
  else timers.after(at(1), () => step(1));
}

/** The number of steps of a simulation: `steps` (default 10), at least 1. */
export function simulationSteps(options: Pick<SimulateOptions, 'steps'>): number {
  const steps = options.steps ?? 10;
  return Number.isFinite(steps) ? Math.max(1, Math.floor(steps)) : 10;
}

/** The metadata of step `i` of `steps`: the callback's, or `{ progressPercent }`. */
export function simulationMetadata(options: SimulateOptions, i: number, steps: number): object {
  const fraction = i / steps;
  return options.metadata?.(fraction, i) ?? { progressPercent: Math.round(100 * fraction) };
}
