/**
 * The results of one run and the goals of issue 7 judged against them. Each judgement
 * carries the measured value and, when a goal is not met, why, computed from the numbers.
 */
import { DEFAULT_MAX_WAIT_CALLS } from '../src/transport/index.ts';
import type { ColdStartResult } from './cold-start.ts';
import type { InstallResult } from './install.ts';
import type { NoticeResult } from './notice.ts';
import type { PollCostResult } from './poll-cost.ts';
import { seededRandom } from './shared.ts';

/** One goal of issue 7, judged. */
export interface Goal {
  name: string;
  target: string;
  measured: string;
  met: boolean;
  /** Why it is not met, from the numbers (empty when met). */
  why: string;
}

/** Everything one run measured: bench/results.json. */
export interface BenchResults {
  mode: 'quick' | 'full';
  date: string;
  durationS: number;
  machine: { cpu: string; cores: number; memoryGB: number; platform: string };
  node: string;
  config: {
    poll: { rounds: number; perRound: number };
    notice: { count: number; spreadMs: number };
    scale: { count: number; spreadMs: number };
    coldRuns: number;
  };
  scenarios: {
    pollCost: PollCostResult;
    notice: Record<string, NoticeResult>;
    scale: Record<string, NoticeResult>;
    coldStart: ColdStartResult;
    install: Omit<InstallResult, 'dirs'>;
  };
  goals: Goal[];
}

/** Number formatting for the report: 0, 1 or 2 decimals; KiB as MB; an interquartile range. */
export const f0 = (x: number): string => x.toFixed(0);
export const f1 = (x: number): string => x.toFixed(1);
export const f2 = (x: number): string => x.toFixed(2);
export const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
export const iqr = ([lo, hi]: readonly number[]): string => `${f2(lo ?? Number.NaN)}–${f2(hi ?? Number.NaN)}`;

/** The results of `key` (e.g. 'auto'); throws when the run lacks it. */
export function variant(record: Record<string, NoticeResult>, key: string): NoticeResult {
  const found = record[key];
  if (found === undefined) throw new Error(`bench results lack the ${key} variant`);
  return found;
}

/**
 * Mean GetOperation calls per operation that gax's default schedule (first poll at once,
 * then 100 ms × 1.3 up to 60 s) would make if it kept to time, over the seeded completion
 * schedule the run used: how many RPCs gax would make on a client with CPU to spare.
 */
export function gaxScheduledPolls(count: number, spreadMs: number, seed = 7): number {
  const random = seededRandom(seed);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const doneAt = Math.floor(random() * spreadMs);
    let t = 0;
    let wait = 100;
    let polls = 1;
    while (t < doneAt) {
      t += wait;
      wait = Math.min(wait * 1.3, 60_000);
      polls++;
    }
    total += polls;
  }
  return total / count;
}

/** Judges every goal of issue 7 against `r`. */
export function evaluateGoals(r: BenchResults): Goal[] {
  const { pollCost, notice, scale, coldStart, install } = r.scenarios;
  const auto = variant(notice, 'auto');
  const gax = variant(notice, 'gax');
  const wide = variant(notice, 'auto-wide');
  const beyond = Math.max(0, auto.count - DEFAULT_MAX_WAIT_CALLS);
  const starved = `${beyond} of ${auto.count} waits are beyond maxWaitCalls (${DEFAULT_MAX_WAIT_CALLS}) and poll with GetOperation on the default 1 s × 1.5 schedule (${auto.getOperation} GetOperation vs ${auto.waitOperation} WaitOperation calls); with maxWaitCalls = ${wide.count} the same run takes ${f2(wide.rpcsPerOp)} RPCs and ${f0(wide.cpuUsPerOp)} µs per operation, p99 ${f1(wide.latencyMs.p99)} ms`;
  const sAuto = variant(scale, 'auto');
  const sGax = variant(scale, 'gax');
  const sWide = variant(scale, 'auto-wide');
  const rpcRatio = auto.rpcsPerOp / gax.rpcsPerOp;
  const cpuRatio = auto.cpuUsPerOp / gax.cpuUsPerOp;
  const scaleRatio = sAuto.cpuMs / sGax.cpuMs;
  const scheduled = gaxScheduledPolls(sGax.count, sGax.spreadMs);
  const goal = (name: string, target: string, measured: string, met: boolean, why: string): Goal => ({
    name,
    target,
    measured,
    met,
    why: met ? '' : why,
  });
  return [
    goal(
      'per poll: ours / floor client CPU',
      '≤ 1.10',
      f2(pollCost.oursOverFloor),
      pollCost.oursOverFloor <= 1.1,
      `ours ${f0(pollCost.ours.cpuUsPerPoll)} µs vs floor ${f0(pollCost.floor.cpuUsPerPoll)} µs per poll (median of per-round ratios; interquartile range ${iqr(pollCost.oursOverFloorIqr)})`,
    ),
    goal(
      'per waited operation (defaults): RPCs, ours auto / gax',
      '≤ 0.20',
      f2(rpcRatio),
      rpcRatio <= 0.2,
      `ours auto ${f2(auto.rpcsPerOp)} vs gax ${f2(gax.rpcsPerOp)} RPCs per operation: ${starved}`,
    ),
    goal(
      'per waited operation (defaults): client CPU, ours auto / gax',
      '≤ 0.20',
      f2(cpuRatio),
      cpuRatio <= 0.2,
      `ours auto ${f0(auto.cpuUsPerOp)} µs vs gax ${f0(gax.cpuUsPerOp)} µs per operation: ${starved}`,
    ),
    goal(
      'notice latency p99, ours auto (defaults)',
      '≤ 20 ms',
      `${f1(auto.latencyMs.p99)} ms`,
      auto.latencyMs.p99 <= 20,
      `p50 is ${f1(auto.latencyMs.p50)} ms (waits holding a WaitOperation), but ${starved}`,
    ),
    goal(
      'scale: every wait settles correctly',
      `${sAuto.count} of ${sAuto.count}`,
      `${sAuto.settled} (ours), ${sGax.settled} (gax)`,
      sAuto.settled === sAuto.count && sGax.settled === sGax.count,
      'some waits did not settle',
    ),
    goal(
      'scale: client CPU, ours auto / gax',
      '≤ 0.50',
      f2(scaleRatio),
      scaleRatio <= 0.5,
      `gax is CPU-bound at ${sGax.count} waits: it made ${f2(sGax.rpcsPerOp)} RPCs per operation where its schedule asks for ${f1(scheduled)}, so its CPU is capped by the wall time (${f1(sGax.cpuMs / 1000)} s CPU in ${f1(sGax.wallMs / 1000)} s). Ours made ${f2(sAuto.rpcsPerOp)} RPCs per operation (${sAuto.getOperation} GetOperation: ${sAuto.count - DEFAULT_MAX_WAIT_CALLS} waits are beyond the ${DEFAULT_MAX_WAIT_CALLS} WaitOperation slots) at about ${f0((sAuto.cpuMs * 1000) / sAuto.rpcs)} µs of client CPU each; with maxWaitCalls = ${sWide.count} it takes ${f1(sWide.cpuMs / 1000)} s (${f2(sWide.cpuMs / sGax.cpuMs)}× gax)`,
    ),
    goal(
      'cold start: time added over `node -e 0`, ours / gax',
      '≤ 0.60',
      f2(coldStart.ratio),
      coldStart.ratio <= 0.6,
      `ours adds ${f0(coldStart.ours.addedMs)} ms, gax ${f0(coldStart.gax.addedMs)} ms (medians of ${coldStart.runs})`,
    ),
    goal(
      'installed size (du of production node_modules), ours / gax',
      '≤ 0.50',
      f2(install.ratio),
      install.ratio <= 0.5,
      `ours ${mb(install.ours.diskKB)} in ${install.ours.packages} packages vs gax ${mb(install.gax.diskKB)} in ${install.gax.packages}; largest of ours: ${install.ours.largest.map((p) => `${p.name} ${mb(p.diskKB)}`).join(', ')}`,
    ),
  ];
}
