/**
 * The evidence BENCHMARKS.md gives for where time goes: the CPU profile of the held-wait
 * scenario (section 6) and the module-load breakdown of the cold start (section 4), both
 * taken in the same run as the numbers they explain.
 */
import type { LoadBreakdown } from './cold-start.ts';
import { f0, f1 } from './goals.ts';
import type { HeldCostResult } from './held-cost.ts';
import type { ProfileSummary } from './profile.ts';

/** A Markdown table; the first column and those in `text` are left-aligned, the rest (numbers) right. */
function table(header: string[], rows: string[][], text: number[] = []): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const rule = header.map((_, i) => (i === 0 || text.includes(i) ? '---' : '---:'));
  return [line(header), line(rule), ...rows.map(line)].join('\n');
}

const pct = (share: number): string => `${(100 * share).toFixed(1)} %`;

/** The functions of `profile` with the most self time, per `unit` (one of `count`). */
function topFunctionsTable(profile: ProfileSummary, count: number, unit: string): string {
  return table(
    ['function', 'where', `self µs/${unit}`, 'share'],
    profile.top.map((f) => [
      `\`${f.name}\``,
      f.where === '' ? '' : `\`${f.where}\``,
      f1((f.selfMs * 1000) / count),
      pct(f.share),
    ]),
    [1],
  );
}

/** Section 6's profile: CPU per wait by area for both variants, then ours' hottest functions. */
export function heldProfileSection(h: HeldCostResult): string[] {
  const { floor, ours } = h.profiles;
  if (floor === undefined || ours === undefined) return [];
  const perWait = (p: ProfileSummary, area: string): string =>
    f1(((p.byArea[area] ?? 0) * 1000) / h.perRound);
  const areas = [...new Set([...Object.keys(ours.byArea), ...Object.keys(floor.byArea)])].sort(
    (a, b) => (ours.byArea[b] ?? 0) - (ours.byArea[a] ?? 0),
  );
  return [
    `Where the CPU goes: one more round of ${h.perRound} waits of each variant, untimed, under the sampling profiler (node:inspector, 200 µs), after the timed rounds. Sampled CPU per wait, by where it was spent (\`longrunning\` is the library's own code; Node.js internals include HTTP/2 and timers):`,
    '',
    table(
      ['spent in', 'floor µs/wait', 'ours µs/wait'],
      [
        ...areas.map((a) => [a, perWait(floor, a), perWait(ours, a)]),
        ['**all sampled**', f1((floor.busyMs * 1000) / h.perRound), f1((ours.busyMs * 1000) / h.perRound)],
      ],
    ),
    '',
    'Ours, the functions with the most self time:',
    '',
    topFunctionsTable(ours, h.perRound, 'wait'),
    '',
    ...heldAllocationSection(h),
  ];
}

/** Section 6's allocation table: KB allocated per wait by area, and ours' largest allocation sites. */
function heldAllocationSection(h: HeldCostResult): string[] {
  const { floor, ours } = h.allocations ?? {};
  if (floor === undefined || ours === undefined) return [];
  const perWait = (kb: number): string => f1(kb / h.perRound);
  const areas = [...new Set([...Object.keys(ours.byArea), ...Object.keys(floor.byArea)])].sort(
    (a, b) => (ours.byArea[b] ?? 0) - (ours.byArea[a] ?? 0),
  );
  return [
    `What each allocates: one more round of ${h.perRound} waits each under V8's sampling heap profiler (freed objects counted), KB per wait by where the allocation was made. Allocation turns into GC time, in the pauses and in V8's helper threads (counted in client CPU, not in the profile above):`,
    '',
    table(
      ['allocated in', 'floor KB/wait', 'ours KB/wait'],
      [
        ...areas.map((a) => [a, perWait(floor.byArea[a] ?? 0), perWait(ours.byArea[a] ?? 0)]),
        ['**all**', perWait(floor.totalKB), perWait(ours.totalKB)],
      ],
    ),
    '',
    'Ours, the largest allocation sites:',
    '',
    table(
      ['function', 'where', 'KB/wait'],
      ours.top.map((f) => [`\`${f.name}\``, f.where === '' ? '' : `\`${f.where}\``, f1(f.kb / h.perRound)]),
      [1],
    ),
    '',
  ];
}

/** Section 4's breakdown: modules loaded and sampled CPU per package, ours beside the floor. */
export function coldBreakdownSection(b: { ours: LoadBreakdown; floor: LoadBreakdown }): string[] {
  const names = [...new Set([...b.ours.packages, ...b.floor.packages].map((p) => p.name))];
  const of = (l: LoadBreakdown, name: string) => l.packages.find((p) => p.name === name);
  const cpu = (l: LoadBreakdown, name: string): number => of(l, name)?.cpuMs ?? 0;
  names.sort((x, y) => Math.max(cpu(b.ours, y), cpu(b.floor, y)) - Math.max(cpu(b.ours, x), cpu(b.floor, x)));
  const cell = (l: LoadBreakdown, name: string): string => {
    const p = of(l, name);
    return p === undefined ? '–' : `${p.modules}`;
  };
  return [
    'What each process loads and where its CPU time goes: two more runs of ours and of the floor, untimed, one under a loader hook listing every module (test/fixtures/load-log), one under `--cpu-prof` (100 µs). CPU is sampled main-thread time by the package whose code ran (module compilation is charged to V8 / native, module loading to Node.js internals):',
    '',
    table(
      ['package', 'ours: modules', 'ours: CPU ms', 'floor: modules', 'floor: CPU ms'],
      [
        ...names.map((n) => [n, cell(b.ours, n), f1(cpu(b.ours, n)), cell(b.floor, n), f1(cpu(b.floor, n))]),
        ['**all**', `${b.ours.modules}`, f0(b.ours.cpuMs), `${b.floor.modules}`, f0(b.floor.cpuMs)],
      ],
    ),
    '',
  ];
}

/** Section 3's profile: CPU per operation by area for ours and gax, sampled during the timed run. */
export function scaleProfileSection(
  ours: { count: number; profile?: ProfileSummary },
  gax: { count: number; profile?: ProfileSummary },
): string[] {
  const a = ours.profile;
  const b = gax.profile;
  if (a === undefined || b === undefined) return [];
  const perOp = (p: ProfileSummary, n: number, area: string): string =>
    f0(((p.byArea[area] ?? 0) * 1000) / n);
  const areas = [...new Set([...Object.keys(a.byArea), ...Object.keys(b.byArea)])]
    .filter((area) => (a.byArea[area] ?? 0) + (b.byArea[area] ?? 0) >= 1)
    .sort((x, y) => (a.byArea[y] ?? 0) - (a.byArea[x] ?? 0));
  return [
    'Where the CPU goes: both runs sampled (node:inspector, 1 ms) over their timed section, which the profiler slows alike. Sampled CPU per operation, by where it was spent:',
    '',
    table(
      ['spent in', 'ours µs/op', 'gax µs/op'],
      [
        ...areas.map((area) => [area, perOp(a, ours.count, area), perOp(b, gax.count, area)]),
        ['**all sampled**', f0((a.busyMs * 1000) / ours.count), f0((b.busyMs * 1000) / gax.count)],
      ],
    ),
    '',
    'Ours, the functions with the most self time:',
    '',
    topFunctionsTable(a, ours.count, 'op'),
    '',
  ];
}
