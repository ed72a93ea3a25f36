import assert from 'node:assert/strict';
import { after, before, describe } from 'node:test';
import fc from 'fast-check';
import { OperationsClient } from '../../src/client/grpc-client.ts';
import { FakeOperationsServer } from '../../src/testing/fake-server.ts';
import { bounded, insecure, totalCalls } from './helpers.ts';
import { Scenario } from './report.ts';

const SEED = 1_234;
const RUNS = 1000;
const report = new Scenario(8, 'Bad arguments');

// ---- Generated bad values, by kind ----

const notAString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.object({ maxDepth: 1 }),
  fc.array(fc.string(), { maxLength: 2 }),
);
const badName = fc.oneof({ arbitrary: fc.constant(''), weight: 3 }, { arbitrary: notAString, weight: 2 });
/** Not a finite number >= 0: NaN, ±Infinity, negatives, and non-numbers (`undefined` means "not given", so it is valid). */
const badMs = fc.oneof(
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
  fc.integer({ max: -1 }),
  fc.constantFrom('100', null, true, {}),
);
const badMultiplier = fc.oneof(
  fc.double({ min: -1e9, max: 1 - Number.EPSILON, noNaN: true }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '2'),
);
const badJitter = fc.oneof(
  fc.double({ min: 1 + Number.EPSILON, noNaN: true }),
  fc.double({ max: -Number.MIN_VALUE, noNaN: true }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '0.5'),
);
const badStrategy = fc.oneof(
  fc.string().filter((s) => !['auto', 'wait', 'poll'].includes(s)),
  fc.constantFrom('AUTO', 'Poll', ' wait', null, 0, {}),
);
const badWaitChunk = fc.oneof(badMs, fc.constantFrom(0, -0));

interface Kind {
  /** What the value is for, as error messages name it. */
  readonly argument: RegExp;
  readonly values: fc.Arbitrary<unknown>;
}

const KINDS = {
  name: { argument: /\bname\b/, values: badName },
  timeoutMs: { argument: /timeoutMs/, values: badMs },
  'polling.multiplier': { argument: /multiplier/, values: badMultiplier },
  'polling.jitter': { argument: /jitter/, values: badJitter },
  'polling.initialDelayMs': { argument: /initialDelayMs/, values: badMs },
  'polling.maxDelayMs': { argument: /maxDelayMs/, values: badMs },
  'polling.waitChunkMs': { argument: /waitChunkMs/, values: badWaitChunk },
  strategy: { argument: /strategy/, values: badStrategy },
  'retry.multiplier': { argument: /retry\.multiplier/, values: badMultiplier },
  'retry.initialDelayMs': { argument: /retry\.initialDelayMs/, values: badMs },
  'retry.maxAttempts': { argument: /retry\.maxAttempts/, values: fc.oneof(badMs, fc.constant(0)) },
} satisfies Record<string, Kind>;
type KindName = keyof typeof KINDS;

const GOOD_RETRY = { codes: [14], maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 100, multiplier: 2 };

describe('bad arguments', () => {
  let server: FakeOperationsServer;
  let client: OperationsClient;
  let name: string;
  const tried = new Map<string, number>();
  const messages = new Map<string, string>();
  /** `kind: entry` pairs exercised. */
  const covered = new Set<string>();

  /** Every public entry point that takes an argument of each kind, called with `v`. */
  function targets(v: unknown): Partial<Record<KindName, Record<string, () => unknown>>> {
    const op = client.operation(name);
    const x = v as never;
    const firstOf = async (it: AsyncIterable<unknown>): Promise<unknown> => {
      for await (const s of it) return s;
      return undefined;
    };
    const clientWith = (options: object) => () =>
      new OperationsClient({ address: server.address, credentials: insecure, ...options }).close();
    const pollingTargets = (key: string): Record<string, () => unknown> => ({
      'op.wait({ polling })': () => op.wait({ polling: { [key]: x } }),
      'op.watch({ polling })': () => firstOf(op.watch({ polling: { [key]: x } })),
      'new OperationsClient({ polling })': clientWith({ polling: { [key]: x } }),
    });
    const retryTargets = (key: string): Record<string, () => unknown> => {
      const retry = { ...GOOD_RETRY, [key]: x };
      return {
        'client.getOperation(name, { retry })': () => client.getOperation(name, { retry }),
        'op.wait({ retry })': () => op.wait({ retry }),
        'op.poll({ retry })': () => op.poll({ retry }),
        'new OperationsClient({ callDefaults: { retry } })': clientWith({ callDefaults: { retry } }),
      };
    };
    return {
      name: {
        'client.getOperation': () => client.getOperation(x),
        'client.cancelOperation': () => client.cancelOperation(x),
        'client.deleteOperation': () => client.deleteOperation(x),
        'client.waitOperation': () => client.waitOperation(x, { timeoutMs: 10 }),
        'client.operation': () => client.operation(x),
      },
      timeoutMs: {
        'op.wait': () => op.wait({ timeoutMs: x }),
        'op.watch': () => firstOf(op.watch({ timeoutMs: x })),
        'op.poll': () => op.poll({ timeoutMs: x }),
        'op.cancel': () => op.cancel({ timeoutMs: x }),
        'op.delete': () => op.delete({ timeoutMs: x }),
        'client.getOperation': () => client.getOperation(name, { timeoutMs: x }),
        'client.cancelOperation': () => client.cancelOperation(name, { timeoutMs: x }),
        'client.listOperations': () => client.listOperations({}, { timeoutMs: x }),
        'client.waitOperation (request)': () => client.waitOperation(name, { timeoutMs: x }),
        'client.waitOperation (options)': () =>
          client.waitOperation(name, { timeoutMs: 10 }, { timeoutMs: x }),
        'new OperationsClient({ callDefaults })': clientWith({ callDefaults: { timeoutMs: x } }),
      },
      'polling.multiplier': pollingTargets('multiplier'),
      'polling.jitter': pollingTargets('jitter'),
      'polling.initialDelayMs': pollingTargets('initialDelayMs'),
      'polling.maxDelayMs': pollingTargets('maxDelayMs'),
      'polling.waitChunkMs': pollingTargets('waitChunkMs'),
      strategy: {
        'op.wait': () => op.wait({ strategy: x }),
        'op.watch': () => firstOf(op.watch({ strategy: x })),
      },
      'retry.multiplier': retryTargets('multiplier'),
      'retry.initialDelayMs': retryTargets('initialDelayMs'),
      'retry.maxAttempts': retryTargets('maxAttempts'),
    };
  }

  before(async () => {
    server = await FakeOperationsServer.start();
    client = new OperationsClient({ address: server.address, credentials: insecure });
    name = server.create().name;
  });
  after(async () => {
    client.close();
    await server.stop();
    report.table(
      ['argument', 'entry points exercised', 'cases', 'example message'],
      Object.keys(KINDS).map((k) => [
        k,
        `${[...covered].filter((c) => c.startsWith(`${k}: `)).length} of ${Object.keys(targets(undefined)[k as KindName] ?? {}).length}`,
        tried.get(k) ?? 0,
        `\`${(messages.get(k) ?? '').replace(/\|/g, '\\|')}\``,
      ]),
    );
  });

  const kindNames = Object.keys(KINDS) as KindName[];
  const bad = fc.oneof(
    ...kindNames.map((kind) =>
      fc.record({ kind: fc.constant(kind), value: KINDS[kind].values, pick: fc.nat() }),
    ),
  );

  report.test(
    `${RUNS} generated bad arguments (fast-check, seed ${SEED}) each throw TypeError / RangeError naming the argument, before any RPC`,
    async () => {
      await fc.assert(
        fc.asyncProperty(bad, async ({ kind, value, pick }) => {
          const entries = Object.entries(targets(value)[kind] ?? {});
          const [entry, call] = entries[pick % entries.length] ?? ['none', () => undefined];
          const callsBefore = totalCalls(server.calls);
          let error: unknown;
          try {
            await bounded(Promise.resolve().then(call), 2000, `${entry} with ${kind} = ${String(value)}`);
          } catch (e) {
            error = e;
          }
          tried.set(kind, (tried.get(kind) ?? 0) + 1);
          covered.add(`${kind}: ${entry}`);
          const what = `${entry} with ${kind} = ${fc.stringify(value)}`;
          assert.ok(
            error instanceof TypeError || error instanceof RangeError,
            `${what}: got ${String(error)}`,
          );
          assert.match(error.message, KINDS[kind].argument, `${what}: the message names the argument`);
          if (!messages.has(kind)) messages.set(kind, `${error.name}: ${error.message}`);
          assert.equal(totalCalls(server.calls), callsBefore, `${what}: no RPC was made`);
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
      assert.equal(totalCalls(server.calls), 0, 'no RPC reached the server');
      report.input(
        `${RUNS} cases generated by fast-check (seed ${SEED}): empty and non-string names; NaN, ±Infinity, negative and non-number timeouts and delays; multipliers < 1, NaN or infinite; jitter outside [0, 1] or NaN; waitChunkMs <= 0; unknown strategies; bad retry policies — each passed to one of the entry points listed in the table`,
      );
      report.outcome(
        `Every case threw TypeError or RangeError naming the argument; the server received ${totalCalls(server.calls)} RPCs`,
      );
    },
    { timeout: 120_000 },
  );

  before(() => report.fault('None: the inputs are the fault'));
});
