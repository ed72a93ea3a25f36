/**
 * Issue 20's goals (scenario 9, many operations at once), judged from the fleet's results.
 * Targets are the issue's; every "why not" is computed from the same run's numbers.
 */

import type { FleetMemoryResult } from './fleet-memory.ts';
import type { FleetBuild, FleetConfig, FleetResults, FleetRun } from './fleet-run.ts';
import { f0, f1, f2, percent } from './format.ts';
import { type Goal, goal } from './goals.ts';

/** The run `key` (e.g. `quota/defaults`); throws when the results lack it. */
export function fleetRun(fleet: FleetResults, key: string): FleetRun {
  const run = fleet.runs[key];
  if (run === undefined) throw new Error(`bench results lack the fleet run ${key}`);
  return run;
}

/** The memory run of `variant`; throws when the results lack it. */
export function fleetMemory(fleet: FleetResults, variant: string): FleetMemoryResult {
  const run = fleet.memory[variant];
  if (run === undefined) throw new Error(`bench results lack the fleet memory run ${variant}`);
  return run;
}

/** `12 RESOURCE_EXHAUSTED, 1 UNAVAILABLE`, or `none`. */
export function lostByText(run: FleetRun): string {
  const parts = Object.entries(run.lostBy).map(([why, n]) => `${n} ${why}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** `1,234 Get + 56 List + 0 Wait`. */
export function callsText(run: FleetRun): string {
  return `${run.calls.get} Get + ${run.calls.list} List + ${run.calls.wait} Wait`;
}

/** What the build lacks of rules 12 and 13, as a clause; empty when it has both. */
function buildNote(build: FleetBuild): string {
  const missing = [
    build.pollBudget ? undefined : 'no poll budget (rule 12)',
    build.listPolling ? undefined : 'no list reaping (rule 13)',
  ].filter((m) => m !== undefined);
  return missing.length === 0
    ? ''
    : `; this build has ${missing.join(' and ')} (neither name is in dist/'s declarations), so every wait polls with GetOperation and backs off on its own`;
}

/** Seconds with one decimal. */
const s1 = (ms: number): string => `${f1(ms / 1000)} s`;

/** Judges issue 20's goals against `fleet`, measured with `config`. */
export function fleetGoals(fleet: FleetResults, config: FleetConfig): Goal[] {
  const q = fleetRun(fleet, 'quota/defaults');
  const gax = fleetRun(fleet, 'quota/gax');
  const open = fleetRun(fleet, 'open/defaults');
  const off = fleetRun(fleet, 'open/list-off');
  const shared = fleetRun(fleet, 'shared/defaults');
  const reaping = fleetMemory(fleet, 'defaults');
  const polling = fleetMemory(fleet, 'list-off');
  const note = buildNote(fleet.build);
  const span = `${q.count} operations of ${f0(config.minMs / 1000)}–${f0((config.minMs + config.spreadMs) / 1000)} s, quota ${config.quota} reads/s, defaults`;
  const refusedPerSecond = (run: FleetRun): number => run.rejected / (run.wallMs / 1000);
  const pace = (run: FleetRun): string =>
    `admitted reads ran at ${f1(run.acceptedPerSecond)}/s of the quota's ${config.quota}/s while ${f1(refusedPerSecond(run))} refused calls a second were spent`;
  const openRatio = open.rpcsPerOp / off.rpcsPerOp;
  const spreadOf = (xs: readonly number[]): number => Math.max(...xs) - Math.min(...xs);
  // The noise of one reading: the larger spread of either variant's own readings.
  const spread = Math.max(spreadOf(reaping.readingsBytesPerWait), spreadOf(polling.readingsBytesPerWait));
  // Reaping happened only if the defaults run listed while its waits were held.
  const reaped = reaping.heldCalls.list > 0;
  return [
    goal(
      `${span}: results lost (issue 20)`,
      '0 (gax beside it)',
      `ours ${q.lost} of ${q.count}; gax ${gax.lost} of ${gax.count} (${lostByText(gax)})`,
      q.lost === 0,
      `ours lost ${lostByText(q)}`,
    ),
    goal(
      'same: calls rejected for quota / all calls',
      '≤ 2 %',
      `${percent(q.rejectedShare)} (${q.rejected} of ${q.calls.total})`,
      q.rejectedShare <= 0.02,
      `${callsText(q)}; ${pace(q)}${note}`,
    ),
    goal(
      'same: RPCs per operation',
      '≤ 1.5',
      `${f2(q.rpcsPerOp)} (${f2(q.acceptedPerOp)} admitted + ${f2(q.rpcsPerOp - q.acceptedPerOp)} refused)`,
      q.rpcsPerOp <= 1.5,
      `${callsText(q)}; without the quota the same fleet takes ${f2(open.rpcsPerOp)} per operation (${callsText(open)})${note}`,
    ),
    goal(
      'same: completion noticed p50 / p99',
      '≤ 1.5 s / ≤ 4 s',
      `${s1(q.latencyMs.p50)} / ${s1(q.latencyMs.p99)} (max ${s1(q.latencyMs.max)})`,
      q.latencyMs.p50 <= 1500 && q.latencyMs.p99 <= 4000,
      `without the quota the same fleet is noticed at ${s1(open.latencyMs.p50)} / ${s1(open.latencyMs.p99)}, so the rest is the quota's: ${pace(q)}${note}`,
    ),
    goal(
      `same ${open.count} operations, no quota: RPCs per operation, ours / ours with \`listPolling: false\``,
      '≤ 0.3',
      `${f2(openRatio)} (${f2(open.rpcsPerOp)} / ${f2(off.rpcsPerOp)})`,
      openRatio <= 0.3,
      `defaults made ${callsText(open)}, \`listPolling: false\` ${callsText(off)}${note}`,
    ),
    goal(
      `${shared.processes} processes × ${shared.count / shared.processes} operations sharing one quota of ${config.quota}/s: results lost; rejected / all calls`,
      '0; ≤ 5 %',
      `${shared.lost}; ${percent(shared.rejectedShare)} (${shared.rejected} of ${shared.calls.total})`,
      shared.lost === 0 && shared.rejectedShare <= 0.05,
      `lost: ${lostByText(shared)}; ${callsText(shared)}; ${pace(shared)}${note}`,
    ),
    goal(
      `${reaping.count} held waits: heap per wait under reaping (defaults) vs polling (\`listPolling: false\`)`,
      '≤ polling (+ the spread of the readings)',
      `${f0(reaping.heldBytesPerWait)} vs ${f0(polling.heldBytesPerWait)} bytes (readings spread ${f0(spread)}); calls while held ${reaping.heldCalls.get} Get + ${reaping.heldCalls.list} List vs ${polling.heldCalls.get} Get${reaped ? '' : ': not reaped'}`,
      reaped && reaping.heldBytesPerWait <= polling.heldBytesPerWait + spread,
      reaped
        ? `reaping holds ${f0(reaping.heldBytesPerWait - polling.heldBytesPerWait)} bytes more per wait than polling`
        : `the defaults run made no ListOperations while its waits were held (${reaping.heldCalls.get} GetOperation): nothing was reaped, so reaping's heap cannot be judged${note}`,
    ),
  ];
}
