/**
 * The results of one run and the goals of issues 7, 14 and 20 judged against them. Each
 * judgement carries the measured value and, when a goal is not met, why, computed from the
 * numbers.
 */
import type { ColdStartResult } from './cold-start.ts';
import type { FleetConfig, FleetResults } from './fleet-run.ts';
import { f0, f1, f2, iqr, mb } from './format.ts';
import { fleetGoals } from './goals-fleet.ts';
import type { HeldCostResult } from './held-cost.ts';
import type { InstallResult } from './install.ts';
import type { NoticeResult } from './notice.ts';
import type { PollCostResult } from './poll-cost.ts';
import { seededRandom } from './shared.ts';
import type { UnaryResult } from './unary.ts';

/** One goal, judged. */
export interface Goal {
  name: string;
  target: string;
  measured: string;
  met: boolean;
  /** Why it is not met, from the numbers (empty when met). */
  why: string;
}

/** A goal as judged: `why` is kept only when it is not met. */
export function goal(name: string, target: string, measured: string, met: boolean, why: string): Goal {
  return { name, target, measured, met, why: met ? '' : why };
}

/** Everything one run measured: bench/results.json. */
export interface BenchResults {
  mode: 'quick' | 'full';
  date: string;
  durationS: number;
  machine: { cpu: string; cores: number; memoryGB: number; platform: string };
  node: string;
  /** The machine's 1-minute load average at the start and at the end of the run. */
  load: number[];
  config: {
    poll: { rounds: number; perRound: number };
    notice: { count: number; spreadMs: number };
    scale: { count: number; spreadMs: number };
    unary: { waits: number; samples: number };
    held: { rounds: number; perRound: number };
    slow: { count: number; minMs: number; spreadMs: number };
    /** Absent from results of runs before the fleet scenario (issue 20). */
    fleet?: FleetConfig;
    coldRuns: number;
  };
  scenarios: {
    pollCost: PollCostResult;
    notice: Record<string, NoticeResult>;
    scale: Record<string, NoticeResult>;
    coldStart: ColdStartResult;
    install: Omit<InstallResult, 'dirs'>;
    held: HeldCostResult;
    unary: UnaryResult;
    /** Keyed `<shape>/<variant>`, e.g. `linear/auto`. */
    slow: Record<string, NoticeResult>;
    /** Scenario 9, many operations at once; absent from results of runs before it. */
    fleet?: FleetResults;
  };
  goals: Goal[];
}

export { f0, f1, f2, iqr, mb };

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

/** The percentage by which `a` differs from `b`, signed. */
const pctOff = (a: number, b: number): number => (100 * (a - b)) / b;
const pct = (x: number): string => `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;

/** Why the held-wait goal is missed, from the profile of the same run: where ours spends more than the floor. */
function heldWhy(held: HeldCostResult): string {
  const { floor, ours } = held.profiles ?? {};
  if (floor === undefined || ours === undefined) return 'no profile in this run';
  const perWait = (ms: number): number => (ms * 1000) / held.perRound;
  const more = Object.keys(ours.byArea)
    .map((area) => ({ area, extra: perWait((ours.byArea[area] ?? 0) - (floor.byArea[area] ?? 0)) }))
    .filter((d) => d.extra > 0)
    .sort((a, b) => b.extra - a.extra)
    .slice(0, 3);
  const alloc = held.allocations;
  const allocated =
    alloc?.floor === undefined || alloc.ours === undefined
      ? ''
      : `; ours allocates ${f1(alloc.ours.totalKB / held.perRound)} KB per wait vs ${f1(alloc.floor.totalKB / held.perRound)} (the library's own code ${f1((alloc.ours.byArea.longrunning ?? 0) / held.perRound)} KB), which GC turns into CPU`;
  return `profiled (section 6): ours samples ${f0(perWait(ours.busyMs))} µs/wait vs the floor's ${f0(perWait(floor.busyMs))}; the most more in ${more.map((d) => `${d.area} (+${f0(d.extra)} µs)`).join(', ')}${allocated}`;
}

/** Why cold start is slow, from the module-load breakdown of the same run. */
function coldWhy(c: ColdStartResult): string {
  const b = c.breakdown;
  if (b === undefined) return 'no breakdown in this run';
  const top = b.ours.packages
    .filter((p) => p.modules > 0)
    .slice(0, 3)
    .map((p) => `${p.name} ${p.modules} modules, ${f0(p.cpuMs)} ms`);
  return `ours loads ${b.ours.modules} modules (floor ${b.floor.modules}); most CPU: ${top.join('; ')} (section 4)`;
}

/**
 * Why the notice p99 of the concurrent waits is missed: the slow ones are those the server
 * completed while the client was still starting its waits (a burst of one wait start each,
 * and wait connections opening), as the steady-state numbers after it show.
 */
function noticeWhy(n: NoticeResult): string {
  const rpcs = `${n.getOperation} GetOperation vs ${n.waitOperation} WaitOperation calls, peak ${n.peakOpenWaits} held`;
  const after = n.afterStart;
  if (after === undefined) return rpcs;
  return `the start burst: ${after.within} of ${n.count} operations completed in the first ${after.burstMs} ms, while the client was still starting its ${n.count} waits and opening their connections; those completing later were noticed at p99 ${f1(after.p99)} ms (max ${f1(after.max)} ms); ${rpcs}`;
}

/** Where ours' CPU went at scale (section 3's profile): the three largest areas, per operation. */
function scaleWhy(n: NoticeResult): string {
  const p = n.profile;
  if (p === undefined) return '';
  const top = Object.entries(p.byArea)
    .sort((x, y) => y[1] - x[1])
    .slice(0, 3)
    .map(([area, ms]) => `${area} ${f0((ms * 1000) / n.count)} µs`);
  return `; ours' sampled CPU per operation (section 3): ${top.join(', ')}, the library's own code ${f0(((p.byArea.longrunning ?? 0) * 1000) / n.count)} µs`;
}

/** Judges the goals of issues 7, 14 and 20 against `r` (issue 20's only when `r` has the fleet). */
export function evaluateGoals(r: BenchResults): Goal[] {
  const { pollCost, notice, scale, coldStart, install, held, unary, slow } = r.scenarios;
  const auto = variant(notice, 'auto');
  const gax = variant(notice, 'gax');
  const sAuto = variant(scale, 'auto');
  const sGax = variant(scale, 'gax');
  const rpcRatio = auto.rpcsPerOp / gax.rpcsPerOp;
  const cpuRatio = auto.cpuUsPerOp / gax.cpuUsPerOp;
  const scaleRatio = sAuto.cpuMs / sGax.cpuMs;
  const scheduled = gaxScheduledPolls(sGax.count, sGax.spreadMs);
  const lin = variant(slow, 'linear/auto');
  const linGax = variant(slow, 'linear/gax');
  const linOff = variant(slow, 'linear/eta-off');
  const linSolo = variant(slow, 'linear/list-off');
  const none = variant(slow, 'none/auto');
  const noneOff = variant(slow, 'none/eta-off');
  const adv = variant(slow, 'adversarial/auto');
  const advOff = variant(slow, 'adversarial/eta-off');
  const slowP50 = lin.latencyMs.p50 / linGax.latencyMs.p50;
  const slowP99 = lin.latencyMs.p99 / linGax.latencyMs.p99;
  const slowRpcs = lin.rpcsPerOp / linGax.rpcsPerOp;
  const noneRpcs = pctOff(none.rpcsPerOp, noneOff.rpcsPerOp);
  const noneP50 = pctOff(none.latencyMs.p50, noneOff.latencyMs.p50);
  const extra = adv.rpcsPerOp - advOff.rpcsPerOp;
  const slowSpan = `${adv.count} operations of ${f1(lin.minMs / 1000)}–${f1((lin.minMs + lin.spreadMs) / 1000)} s`;
  const { fleet } = r.scenarios;
  const fleetConfig = r.config.fleet;
  return [
    goal(
      `${auto.count} concurrent waits, defaults, server with WaitOperation: notice p99`,
      '≤ 20 ms',
      `${f1(auto.latencyMs.p99)} ms (p50 ${f1(auto.latencyMs.p50)} ms)`,
      auto.latencyMs.p99 <= 20,
      noticeWhy(auto),
    ),
    goal(
      'same: RPCs per operation, ours / gax',
      '≤ 0.20',
      `${f2(rpcRatio)} (${f2(auto.rpcsPerOp)} / ${f2(gax.rpcsPerOp)})`,
      rpcRatio <= 0.2,
      `ours ${auto.getOperation} GetOperation + ${auto.waitOperation} WaitOperation`,
    ),
    goal(
      'same: client CPU per operation, ours / gax',
      '≤ 0.20',
      `${f2(cpuRatio)} (${f0(auto.cpuUsPerOp)} / ${f0(gax.cpuUsPerOp)} µs)`,
      cpuRatio <= 0.2,
      `ours ${f0(auto.cpuUsPerOp)} µs per operation, of which about ${f0(held.oursCpuUsPerWait)} µs is the held wait itself (scenario 6)`,
    ),
    goal(
      `${sAuto.count} concurrent waits, defaults: all settle; client CPU ours / gax`,
      '≤ 0.40',
      `${sAuto.settled} + ${sGax.settled} settled; ${f2(scaleRatio)} (${f1(sAuto.cpuMs / 1000)} / ${f1(sGax.cpuMs / 1000)} s)`,
      sAuto.settled === sAuto.count && sGax.settled === sGax.count && scaleRatio <= 0.4,
      `gax made ${f2(sGax.rpcsPerOp)} RPCs per operation where its schedule asks for ${f1(scheduled)} (CPU-bound: ${f1(sGax.cpuMs / 1000)} s CPU in ${f1(sGax.wallMs / 1000)} s); ours ${f2(sAuto.rpcsPerOp)} RPCs per operation, peak ${sAuto.peakOpenWaits} held${scaleWhy(sAuto)}`,
    ),
    goal(
      `unary GetOperation p99 while ${unary.waits} waits are held, ours / none held`,
      '≤ 1.5',
      `${f2(unary.p99Ratio)} (${f2(unary.held.p99)} / ${f2(unary.idle.p99)} ms)`,
      unary.p99Ratio <= 1.5,
      `p50 ${f2(unary.held.p50)} ms held vs ${f2(unary.idle.p50)} ms idle`,
    ),
    goal(
      `server without WaitOperation, ${slowSpan}, linear progress: notice p50, ours / gax`,
      '≤ 0.25',
      `${f2(slowP50)} (${f0(lin.latencyMs.p50)} / ${f0(linGax.latencyMs.p50)} ms)`,
      slowP50 <= 0.25,
      `list reaping (rule 13): the ${lin.count} waits share one parent, so one listing at most every initialDelayMs (1 s by default) reads them all, ${f2(lin.rpcsPerOp)} RPCs per operation, and a completion waits for the next listing; with \`listPolling: false\` each wait polls on its ETA: p50 ${f0(linSolo.latencyMs.p50)} ms (${f2(linSolo.latencyMs.p50 / linGax.latencyMs.p50)} of gax's), ${f2(linSolo.rpcsPerOp)} RPCs per operation; without ETA guidance (reaping on) ${f0(linOff.latencyMs.p50)} ms`,
    ),
    goal(
      'same: notice p99, ours / gax',
      '≤ 0.5',
      `${f2(slowP99)} (${f0(lin.latencyMs.p99)} / ${f0(linGax.latencyMs.p99)} ms)`,
      slowP99 <= 0.5,
      `with \`listPolling: false\` ${f0(linSolo.latencyMs.p99)} ms; without ETA guidance ${f0(linOff.latencyMs.p99)} ms`,
    ),
    goal(
      'same: RPCs per operation, ours / gax',
      '≤ 0.5',
      `${f2(slowRpcs)} (${f2(lin.rpcsPerOp)} / ${f2(linGax.rpcsPerOp)})`,
      slowRpcs <= 0.5,
      `without ETA guidance ours makes ${f2(linOff.rpcsPerOp)}`,
    ),
    goal(
      'same workload, no progress reported: RPCs and notice p50 vs the backoff schedule alone (`eta: false`)',
      'within 5 %',
      `RPCs ${pct(noneRpcs)} (${f2(none.rpcsPerOp)} / ${f2(noneOff.rpcsPerOp)}), p50 ${pct(noneP50)} (${f0(none.latencyMs.p50)} / ${f0(noneOff.latencyMs.p50)} ms)`,
      Math.abs(noneRpcs) <= 5 && Math.abs(noneP50) <= 5,
      `the two runs follow the same schedule (rule 3, asserted exactly in test/wait/eta.test.ts) with independent random jitter, and with list reaping on (${none.listOperations ?? 0} and ${noneOff.listOperations ?? 0} listings) a completion is noticed at the next listing, so the notice time is where the jittered polls put the listings, between 0 and initialDelayMs (1 s) after each completion; the RPCs are equal`,
    ),
    goal(
      'adversarial progress (stalls, jumps, falls back): extra polls per operation over rule 3',
      '≤ 2',
      `${f2(extra)} (${f2(adv.rpcsPerOp)} vs ${f2(advOff.rpcsPerOp)} with \`eta: false\`)`,
      extra <= 2,
      'more early polls than the planner allows',
    ),
    goal(
      'client CPU per held wait, ours / floor (bare grpc-js WaitOperation + decode)',
      '≤ 1.30',
      `${f2(held.oursOverFloor)} (${f0(held.oursCpuUsPerWait)} / ${f0(held.floorCpuUsPerWait)} µs; IQR ${iqr(held.oursOverFloorIqr)})`,
      held.oursOverFloor <= 1.3,
      heldWhy(held),
    ),
    goal(
      'cold start: time added over `node -e 0`, ours / floor (grpc-js + proto-loader, one call)',
      '≤ 0.90',
      `${f2(coldStart.oursOverFloor)} (${f0(coldStart.ours.addedMs)} / ${f0(coldStart.floor.addedMs)} ms)`,
      coldStart.oursOverFloor <= 0.9,
      `ours adds ${f0(coldStart.ours.addedMs)} ms, the floor ${f0(coldStart.floor.addedMs)} ms (medians of ${coldStart.runs}); ${coldWhy(coldStart)}`,
    ),
    goal(
      'per poll: ours / floor client CPU (issue 7)',
      '≤ 1.10',
      f2(pollCost.oursOverFloor),
      pollCost.oursOverFloor <= 1.1,
      `ours ${f0(pollCost.ours.cpuUsPerPoll)} µs vs floor ${f0(pollCost.floor.cpuUsPerPoll)} µs per poll (median of per-round ratios; interquartile range ${iqr(pollCost.oursOverFloorIqr)})`,
    ),
    goal(
      'cold start: time added over `node -e 0`, ours / gax (issue 7)',
      '≤ 0.60',
      f2(coldStart.ratio),
      coldStart.ratio <= 0.6,
      `ours adds ${f0(coldStart.ours.addedMs)} ms, gax ${f0(coldStart.gax.addedMs)} ms (medians of ${coldStart.runs}); ${coldWhy(coldStart)}`,
    ),
    goal(
      'installed size (du of production node_modules), ours / gax (issue 7)',
      '≤ 0.50',
      f2(install.ratio),
      install.ratio <= 0.5,
      `ours ${mb(install.ours.diskKB)} in ${install.ours.packages} packages vs gax ${mb(install.gax.diskKB)} in ${install.gax.packages}; largest of ours: ${install.ours.largest.map((p) => `${p.name} ${mb(p.diskKB)}`).join(', ')}`,
    ),
    ...(fleet === undefined || fleetConfig === undefined ? [] : fleetGoals(fleet, fleetConfig)),
  ];
}
