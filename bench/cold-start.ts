/**
 * Scenario 4, cold start: wall time from spawning a fresh `node` to its exit, and its peak
 * RSS, for a process that imports the library, builds a client and makes one GetOperation
 * (cold-ours.mjs / cold-gax.mjs, run from the folders the install scenario filled), beside
 * a bare `node -e 0` and the floor (cold-floor.mjs: grpc-js + proto-loader loading
 * operations.proto by hand, one call). The four alternate, in a rotating order; medians of
 * `runs` each. Then, untimed, ours and the floor twice more each, under the CPU profiler and
 * under a loader hook (test/fixtures/load-log): which modules each loads, and where its CPU
 * time goes, by package (the report's module-load breakdown).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type CpuProfile, packageOf, summarizeProfile } from './profile.ts';
import { check, median } from './shared.ts';

type Kind = 'bare' | 'floor' | 'ours' | 'gax';
const ORDERS: Kind[][] = [
  ['bare', 'floor', 'ours', 'gax'],
  ['floor', 'ours', 'gax', 'bare'],
  ['ours', 'gax', 'bare', 'floor'],
  ['gax', 'bare', 'floor', 'ours'],
];

/** One kind of process, summarised over its runs. */
export interface ColdSample {
  /** Median wall time from spawn to exit, ms. */
  wallMs: number;
  /** Median peak RSS, MiB. */
  rssMB: number;
  /** Median time from the process's start to its result (excludes exit), ms. */
  readyMs: number;
}

/** What one process loaded and where its CPU time went, per package (`longrunning` is the library). */
export interface LoadBreakdown {
  /** Modules loaded (ES and CommonJS; Node.js built-ins left out). */
  modules: number;
  /** Sampled CPU time, ms. */
  cpuMs: number;
  /** Per package (or Node.js internals, GC, V8 / native): modules loaded and CPU ms, most CPU first. */
  packages: { name: string; modules: number; cpuMs: number }[];
}

/** Scenario 4's result. */
export interface ColdStartResult {
  runs: number;
  bare: ColdSample;
  floor: ColdSample & { addedMs: number };
  ours: ColdSample & { addedMs: number };
  gax: ColdSample & { addedMs: number };
  /** ours.addedMs / gax.addedMs. */
  ratio: number;
  /** ours.addedMs / floor.addedMs. */
  oursOverFloor: number;
  /** One more run of ours and of the floor, profiled (untimed); absent in results of older runs. */
  breakdown?: { ours: LoadBreakdown; floor: LoadBreakdown };
}

const RSS_SCRIPT =
  'process.stdout.write(JSON.stringify({ ok: true, maxRssKB: process.resourceUsage().maxRSS, readyMs: performance.now() }))';

function run(args: string[], cwd: string): { wallMs: number; out: string } {
  const t0 = process.hrtime.bigint();
  const child = spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
  });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  check(
    child.status === 0,
    `cold start \`node ${args.join(' ')}\` in ${cwd} exited with ${child.status ?? child.signal}: ${child.stderr}`,
  );
  return { wallMs, out: child.stdout };
}

/** The loader hook that lists every module a process loads (see its header). */
const LOAD_LOG = pathToFileURL(
  new URL('../test/fixtures/load-log/register.mjs', import.meta.url).pathname,
).href;

/**
 * Runs `script` twice more, untimed: once under the load log (which modules it loads) and
 * once under the CPU profiler alone (where its time goes; the loader hook would slow
 * module loading and so inflate the profile's Node.js internals).
 */
function profiledRun(script: string, cwd: string, address: string, name: string): LoadBreakdown {
  const dir = mkdtempSync(join(tmpdir(), 'longrunning-cold-prof-'));
  const spawn = (flags: string[]) =>
    spawnSync(process.execPath, [...flags, script, address, name], {
      cwd,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, METADATA_SERVER_DETECTION: 'none' },
    });
  try {
    const logged = spawn(['--import', LOAD_LOG]);
    check(
      logged.status === 0,
      `cold start of ${script} under the load log exited with ${logged.status}: ${logged.stderr}`,
    );
    const { modules } = JSON.parse(logged.stderr.trim().split('\n').pop() ?? '');
    check(Array.isArray(modules), `the load log of ${script} printed no module list`);
    const profiled = spawn(['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '100']);
    check(
      profiled.status === 0,
      `profiled cold start of ${script} exited with ${profiled.status}: ${profiled.stderr}`,
    );
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    check(file !== undefined, `no CPU profile of ${script}`);
    const profile: CpuProfile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const summary = summarizeProfile(profile, 0);
    const byPackage = new Map<string, { modules: number; cpuMs: number }>();
    // The load log's own modules (and the script) are the measurement's, not the process's.
    for (const m of modules.map(String).filter((m: string) => !m.includes('/load-log/'))) {
      const pkg = packageOf(m) ?? 'the script';
      const entry = byPackage.get(pkg) ?? { modules: 0, cpuMs: 0 };
      entry.modules++;
      byPackage.set(pkg, entry);
    }
    for (const [area, ms] of Object.entries(summary.byArea)) {
      const entry = byPackage.get(area) ?? { modules: 0, cpuMs: 0 };
      entry.cpuMs += ms;
      byPackage.set(area, entry);
    }
    const packages = [...byPackage].map(([n, v]) => ({ name: n, ...v })).sort((a, b) => b.cpuMs - a.cpuMs);
    return {
      modules: packages.reduce((sum, p) => sum + p.modules, 0),
      cpuMs: summary.busyMs,
      packages,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs every kind `runs` times against the operation `name` on `address`. */
export function measureColdStart(
  dirs: { ours: string; gax: string },
  address: string,
  name: string,
  runs: number,
): ColdStartResult {
  copyFileSync(new URL('cold-ours.mjs', import.meta.url), join(dirs.ours, 'cold.mjs'));
  copyFileSync(new URL('cold-gax.mjs', import.meta.url), join(dirs.gax, 'cold.mjs'));
  copyFileSync(new URL('cold-floor.mjs', import.meta.url), join(dirs.ours, 'cold-floor.mjs'));
  const samples: Record<Kind, { wallMs: number[]; rssMB: number[]; readyMs: number[] }> = {
    bare: { wallMs: [], rssMB: [], readyMs: [] },
    floor: { wallMs: [], rssMB: [], readyMs: [] },
    ours: { wallMs: [], rssMB: [], readyMs: [] },
    gax: { wallMs: [], rssMB: [], readyMs: [] },
  };
  for (let i = 0; i < runs; i++) {
    for (const kind of ORDERS[i % ORDERS.length] ?? []) {
      const s = samples[kind];
      let out: string;
      if (kind === 'bare') {
        s.wallMs.push(run(['-e', '0'], dirs.ours).wallMs);
        out = run(['-e', RSS_SCRIPT], dirs.ours).out; // untimed: the bare process's RSS
      } else {
        const script = kind === 'floor' ? 'cold-floor.mjs' : 'cold.mjs';
        const r = run([script, address, name], kind === 'gax' ? dirs.gax : dirs.ours);
        s.wallMs.push(r.wallMs);
        out = r.out;
      }
      const report = JSON.parse(out);
      check(report.ok === true, `cold start of ${kind} did not get the operation back: ${out}`);
      s.rssMB.push(Number(report.maxRssKB) / 1024);
      s.readyMs.push(Number(report.readyMs));
    }
  }
  const summary = (kind: Kind): ColdSample => ({
    wallMs: median(samples[kind].wallMs),
    rssMB: median(samples[kind].rssMB),
    readyMs: median(samples[kind].readyMs),
  });
  const bare = summary('bare');
  const ours = { ...summary('ours'), addedMs: summary('ours').wallMs - bare.wallMs };
  const gax = { ...summary('gax'), addedMs: summary('gax').wallMs - bare.wallMs };
  const floor = { ...summary('floor'), addedMs: summary('floor').wallMs - bare.wallMs };
  const breakdown = {
    ours: profiledRun('cold.mjs', dirs.ours, address, name),
    floor: profiledRun('cold-floor.mjs', dirs.ours, address, name),
  };
  return {
    runs,
    breakdown,
    bare,
    floor,
    ours,
    gax,
    ratio: ours.addedMs / gax.addedMs,
    oursOverFloor: ours.addedMs / floor.addedMs,
  };
}
