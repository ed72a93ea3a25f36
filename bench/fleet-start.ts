/**
 * The fleet scenario's start on the bench server (bench/server.ts): a barrier on the
 * control port, so that one client process or several (sharing one quota) wait on
 * operations that all start at one moment, with the quota set and the counters reset at
 * that moment, after every process has warmed up.
 */
import type { FakeOperationsServer, OperationsMethod } from '../src/testing.ts';
import { METADATA_TYPE, RESULT_TYPE, resultFor, seededRandom } from './shared.ts';

/** How long a group waits for its last party before every party's request fails. */
const BARRIER_TIMEOUT_MS = 120_000;
/** Rows a fleet job reports processed when done (its metadata's `rowsProcessed` grows to it). */
const JOB_ROWS = 1_000_000;

/** One party's request to start a fleet (the `fleet` control command's body). */
export interface FleetStart {
  /** Parties asking with the same group start together; the first one's settings count. */
  group: string;
  /** How many parties the group waits for. */
  parties: number;
  /** This party's index, 0..parties-1: its operations are indices `party × count` onwards. */
  party: number;
  /** Operations per party. */
  count: number;
  /** Operations are named `<parent>/operations/<prefix>-<index>`. */
  parent: string;
  prefix: string;
  /** Each operation runs `minMs` plus a seeded random share of `spreadMs`. */
  minMs: number;
  spreadMs: number;
  seed: number;
  /** Progress reports per job after the first (as `server.simulate`'s `steps`). */
  steps: number;
  /** Reads admitted per second by the quota set at the start; null for none. */
  quota: number | null;
  /** The RPCs the quota meters together. */
  quotaMethods: OperationsMethod[];
}

/** This party's operations, started. */
export interface FleetStarted {
  names: string[];
  durationsMs: number[];
}

/**
 * The duration of each of `total` fleet operations: `minMs` plus a seeded random share of
 * `spreadMs`, whole ms, the same for every run with the same arguments.
 */
export function fleetDurations(total: number, minMs: number, spreadMs: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: total }, () => minMs + Math.floor(random() * spreadMs));
}

const METHODS: readonly OperationsMethod[] = [
  'GetOperation',
  'ListOperations',
  'WaitOperation',
  'CancelOperation',
  'DeleteOperation',
];
const isMethod = (m: unknown): m is OperationsMethod => METHODS.some((known) => known === m);

/** Reads a `fleet` request; throws a TypeError / RangeError naming the field that is wrong. */
export function parseFleetStart(body: Record<string, unknown>): FleetStart {
  const int = (key: string, min: number): number => {
    const v = body[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      throw new RangeError(`fleet: ${key} must be an integer >= ${min} (got ${String(v)})`);
    }
    return v;
  };
  const text = (key: string): string => {
    const v = body[key];
    if (typeof v !== 'string' || v === '') throw new TypeError(`fleet: ${key} must be a non-empty string`);
    return v;
  };
  const quota = body.quota;
  if (quota !== null && (typeof quota !== 'number' || !(quota > 0))) {
    throw new RangeError(`fleet: quota must be null or a number > 0 (got ${String(quota)})`);
  }
  const methods = body.quotaMethods;
  if (!Array.isArray(methods) || methods.length === 0 || !methods.every(isMethod)) {
    throw new TypeError('fleet: quotaMethods must be a non-empty array of Operations method names');
  }
  const start: FleetStart = {
    group: text('group'),
    parties: int('parties', 1),
    party: int('party', 0),
    count: int('count', 1),
    parent: text('parent'),
    prefix: text('prefix'),
    minMs: int('minMs', 0),
    spreadMs: int('spreadMs', 0),
    seed: int('seed', 0),
    steps: int('steps', 1),
    quota,
    quotaMethods: methods,
  };
  if (start.party >= start.parties) throw new RangeError(`fleet: party ${start.party} of ${start.parties}`);
  return start;
}

interface Arrival {
  party: number;
  resolve(started: FleetStarted): void;
  reject(error: Error): void;
}

/**
 * The groups waiting to start. `arrive` resolves once the group is complete (every party
 * gets its own operations) and rejects when the group is not complete within
 * BARRIER_TIMEOUT_MS, when a party asks twice, or after `abandon()`.
 */
export class FleetGroups {
  readonly #server: FakeOperationsServer;
  readonly #all: readonly FakeOperationsServer[];
  readonly #completed: (name: string) => void;
  readonly #groups = new Map<string, { first: FleetStart; arrivals: Arrival[]; timer: NodeJS.Timeout }>();

  /**
   * Starts fleets on `server` (its quota is the fleet's), resetting the counters of every
   * server in `all`; `completed(name)` is called when an operation becomes done.
   */
  constructor(
    server: FakeOperationsServer,
    all: readonly FakeOperationsServer[],
    completed: (name: string) => void,
  ) {
    this.#server = server;
    this.#all = all;
    this.#completed = completed;
  }

  /** One party's request (a `fleet` body); see the class comment. */
  arrive(body: Record<string, unknown>): Promise<FleetStarted> {
    const start = parseFleetStart(body);
    return new Promise((resolve, reject) => {
      let group = this.#groups.get(start.group);
      if (group === undefined) {
        const timer = setTimeout(
          () => this.#fail(start.group, 'not every party arrived in time'),
          BARRIER_TIMEOUT_MS,
        );
        group = { first: start, arrivals: [], timer };
        this.#groups.set(start.group, group);
      }
      if (group.arrivals.some((a) => a.party === start.party)) {
        reject(new Error(`fleet ${start.group}: party ${start.party} asked twice`));
        return;
      }
      group.arrivals.push({ party: start.party, resolve, reject });
      if (group.arrivals.length < group.first.parties) return;
      clearTimeout(group.timer);
      this.#groups.delete(start.group);
      this.#start(group.first, group.arrivals);
    });
  }

  /** Rejects every party still waiting (the server is stopping). */
  abandon(): void {
    for (const name of [...this.#groups.keys()]) this.#fail(name, 'the server is stopping');
  }

  #fail(group: string, why: string): void {
    const waiting = this.#groups.get(group);
    if (waiting === undefined) return;
    clearTimeout(waiting.timer);
    this.#groups.delete(group);
    for (const a of waiting.arrivals) a.reject(new Error(`fleet ${group}: ${why}`));
  }

  /** Sets the quota, resets the counters, then starts every party's operations as progress jobs. */
  #start(s: FleetStart, arrivals: readonly Arrival[]): void {
    const server = this.#server;
    server.quota = s.quota === null ? undefined : { perSecond: s.quota, methods: s.quotaMethods };
    for (const each of this.#all) each.resetCounters();
    const durations = fleetDurations(s.parties * s.count, s.minMs, s.spreadMs, s.seed);
    const started = new Map<number, FleetStarted>();
    for (let party = 0; party < s.parties; party++) {
      const mine: FleetStarted = { names: [], durationsMs: [] };
      for (let i = party * s.count; i < (party + 1) * s.count; i++) {
        const name = `${s.parent}/operations/${s.prefix}-${i}`;
        const durationMs = durations[i] ?? s.minMs;
        if (server.store.has(name)) server.store.delete(name);
        server.simulate({
          name,
          durationMs,
          steps: s.steps,
          metadataType: METADATA_TYPE,
          metadata: (fraction) => ({
            progressPercent: Math.round(100 * fraction),
            rowsProcessed: String(Math.round(JOB_ROWS * fraction)),
            state: fraction < 1 ? 'RUNNING' : 'SUCCEEDED',
          }),
          responseType: RESULT_TYPE,
          response: resultFor(name),
        });
        const stop = server.store.subscribe(name, (op) => {
          if (op !== undefined && !op.done) return;
          stop();
          if (op !== undefined) this.#completed(name);
        });
        mine.names.push(name);
        mine.durationsMs.push(durationMs);
      }
      started.set(party, mine);
    }
    for (const a of arrivals) {
      const mine = started.get(a.party);
      if (mine === undefined) a.reject(new Error(`fleet: no operations for party ${a.party}`));
      else a.resolve(mine);
    }
  }
}
