/**
 * `npm run bench [-- --quick]`: installs bench/'s own dependencies (google-gax) when
 * missing, builds the library when dist/ is missing or older than src/, starts the fake
 * server in its own process, runs the scenarios of issues 7, 14 and 20 (client-side work in
 * fresh worker processes; the server and the workers are bundled once per run with
 * esbuild and run by plain `node`, so no process pays for transpiling), and writes BENCHMARKS.md and bench/results.json. `--quick` runs the
 * same scenarios scaled down and writes to bench/.quick/ instead, leaving the committed
 * results alone; `--fleet` runs scenario 9 alone (see `fleetOnly`).
 *
 * Exits 1, loudly, when any scenario's correctness check fails (a wait that settled wrong
 * or never, an RPC count that does not add up). Goals that are not met are reported in
 * BENCHMARKS.md, not turned into a failure (the machines are shared and noisy); pass
 * `--strict` to exit 2 when one is not met.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { buildSync } from 'esbuild';
import { measureColdStart } from './cold-start.ts';
import { type FleetConfig, runFleet } from './fleet-run.ts';
import { type BenchResults, evaluateGoals } from './goals.ts';
import { fleetGoals } from './goals-fleet.ts';
import type { HeldCostResult } from './held-cost.ts';
import { measureInstalls } from './install.ts';
import type { NoticeResult } from './notice.ts';
import { writePlots } from './plot.ts';
import type { PollCostResult } from './poll-cost.ts';
import { renderMarkdown } from './report.ts';
import { fleetSection } from './report-fleet.ts';
import { Control, type ServerAddress } from './shared.ts';
import type { UnaryResult } from './unary.ts';

const quick = process.argv.includes('--quick');
const strict = process.argv.includes('--strict');
const root = new URL('..', import.meta.url).pathname;
const bench = join(root, 'bench');

const CONFIG = quick
  ? {
      poll: { rounds: 3, perRound: 300 },
      notice: { count: 100, spreadMs: 1500 },
      scale: { count: 1000, spreadMs: 3000 },
      unary: { waits: 200, samples: 100 },
      held: { rounds: 2, perRound: 200 },
      slow: { count: 40, minMs: 1000, spreadMs: 2000 },
      // The fleet scaled down: 200 operations of 1–5 s at 20 reads/s (issue 20's first
      // measurement was 200 of 5–15 s at 20/s), 4 processes × 50; 1,000 held waits for memory.
      fleet: {
        count: 200,
        minMs: 1000,
        spreadMs: 4000,
        quota: 20,
        processes: 4,
        steps: 10,
        seed: 20,
        watchdogMs: 90_000,
        memory: { count: 1000, holdMs: 2500, samples: 3, sampleGapMs: 250 },
      } satisfies FleetConfig,
      coldRuns: 3,
    }
  : {
      poll: { rounds: 40, perRound: 500 },
      notice: { count: 200, spreadMs: 5000 },
      scale: { count: 10_000, spreadMs: 20_000 },
      unary: { waits: 1000, samples: 500 },
      held: { rounds: 8, perRound: 1000 },
      // Operations of 10–60 s compressed to 2–12 s (same shape), to keep the run short.
      slow: { count: 200, minMs: 2000, spreadMs: 10_000 },
      // Issue 20's fleet as it stands: 1,000 operations of 10–60 s (not compressed: the
      // quota is per second), 50 reads/s, 4 processes × 250; 10,000 held waits for memory.
      fleet: {
        count: 1000,
        minMs: 10_000,
        spreadMs: 50_000,
        quota: 50,
        processes: 4,
        steps: 10,
        seed: 20,
        watchdogMs: 180_000,
        memory: { count: 10_000, holdMs: 4000, samples: 5, sampleGapMs: 500 },
      } satisfies FleetConfig,
      coldRuns: 10,
    };
const WORKER_TIMEOUT_MS = 240_000;
/** Scenario 8's runs: progress shape and variant. */
const SLOW_RUNS = [
  ['linear', 'auto'],
  ['linear', 'eta-off'],
  ['linear', 'list-off'],
  ['linear', 'gax'],
  ['none', 'auto'],
  ['none', 'eta-off'],
  ['adversarial', 'auto'],
  ['adversarial', 'eta-off'],
] as const;
/** The machine's 1-minute load average at the start and at the end of the run (it is shared). */
const loadAverage: number[] = [];
const ENV = { ...process.env, METADATA_SERVER_DETECTION: 'none' };

function log(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
}
const started = performance.now();

function ensureBenchDeps(): void {
  if (existsSync(join(bench, 'node_modules/google-gax/package.json'))) return;
  log('installing bench dependencies (npm ci --prefix bench)');
  execFileSync('npm', ['ci', '--prefix', 'bench', '--no-audit', '--no-fund'], {
    cwd: root,
    stdio: 'inherit',
  });
}

/** Newest modification time (ms) of any file under `dir` whose name passes `keep`. */
function newest(dir: string, keep: (name: string) => boolean): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !keep(entry.name)) continue;
    latest = Math.max(latest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return latest;
}

function ensureBuild(): void {
  const built = join(root, 'dist/index.js');
  const sources = Math.max(
    newest(join(root, 'src'), (n) => n.endsWith('.ts') && !n.endsWith('.test.ts')),
    ...['package.json', 'tsconfig.json', 'tsconfig.build.json'].map((f) => statSync(join(root, f)).mtimeMs),
  );
  if (existsSync(built) && statSync(built).mtimeMs >= sources) return;
  log('building the library (npm run build): dist/ is missing or older than src/');
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
}

/** The worker scripts, bundled by `compileScripts()`. */
const WORKERS = [
  'poll-cost.ts',
  'held-cost.ts',
  'unary.ts',
  'notice.ts',
  'fleet.ts',
  'fleet-memory.ts',
] as const;
type WorkerFile = (typeof WORKERS)[number];
/** Where `compileScripts()` put each script (valid once it ran). */
const compiled = new Map<string, string>();

/**
 * Bundles bench/server.ts and the workers with esbuild, once (about 0.1 s; starting each
 * process through tsx instead cost about 0.4 s of CPU, and several seconds when scenario 8
 * starts its processes at once). Packages stay external. A worker's bundle sits in bench/
 * beside its source, so its `../dist` and google-gax resolve as from the source; the
 * server's sits in node_modules/.longrunning-bench/, so its packages resolve from the
 * root, as from src/testing. Returns the function that deletes them.
 */
function compileScripts(): () => void {
  const serverDir = join(root, 'node_modules/.longrunning-bench');
  mkdirSync(serverDir, { recursive: true });
  const outputs: [string, string][] = [
    ['server.ts', join(serverDir, 'server.mjs')],
    ...WORKERS.map((w): [string, string] => [w, join(bench, `.worker-${w.replace(/\.ts$/, '')}.mjs`)]),
  ];
  for (const [source, outfile] of outputs) {
    buildSync({
      entryPoints: [join(bench, source)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
    compiled.set(source, outfile);
  }
  return () => {
    for (const [, outfile] of outputs) rmSync(outfile, { force: true });
  };
}

/** The bundle of `source` (see `compileScripts`). */
function bundleOf(source: string): string {
  const path = compiled.get(source);
  if (path === undefined) throw new Error(`bench: ${source} was not compiled`);
  return path;
}

/** Starts bench/server.ts; it stops when this process ends (its stdin closes). */
async function startServer(): Promise<ServerAddress & { stop(): void }> {
  const child = spawn(process.execPath, [bundleOf('server.ts')], {
    cwd: root,
    env: ENV,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code} before it started`)));
  });
  lines.close();
  child.stdout.resume();
  const address = JSON.parse(first);
  return {
    grpc: String(address.grpc),
    grpcNoWait: String(address.grpcNoWait),
    control: String(address.control),
    stop: () => child.stdin.end(),
  };
}

/**
 * Runs a worker script in a fresh process; resolves its result, rejects loudly on any
 * failure, or when it runs longer than `timeoutMs` (killed).
 */
function worker<T>(file: WorkerFile, args: object, timeoutMs = WORKER_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', bundleOf(file), JSON.stringify(args)], {
      cwd: root,
      env: ENV,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // 'close', not 'exit': a child's output can still be unread when 'exit' comes (seen under
    // --quick's load: exit 0 with none of its output read yet).
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{"result"')) {
        reject(
          new Error(
            `bench worker ${file} ${JSON.stringify(args)} failed (${code ?? signal}):\n${stderr}\nthe end of its output (${stdout.length} characters): ${JSON.stringify(stdout.slice(-300))}`,
          ),
        );
        return;
      }
      resolve(JSON.parse(last).result);
    });
  });
}

/**
 * `--fleet`: scenario 9 alone (scaled down with `--quick`), for measuring the fleet while
 * the library's poll budget and list reaping change. Prints its section and goals and
 * writes bench/.fleet/results.json; BENCHMARKS.md and bench/results.json are left alone.
 */
async function fleetOnly(): Promise<number> {
  const removeBundles = compileScripts();
  try {
    const fleet = await runFleet({ startServer, worker, log }, CONFIG.fleet, root, quick);
    const goals = fleetGoals(fleet, CONFIG.fleet);
    const outDir = join(bench, '.fleet');
    mkdirSync(outDir, { recursive: true });
    const path = join(outDir, 'results.json');
    const results = { mode: quick ? 'quick' : 'full', date: new Date().toISOString(), config: CONFIG.fleet };
    writeFileSync(path, `${JSON.stringify({ ...results, fleet, goals }, null, 2)}\n`);
    const rows = goals.map(
      (g) => `| ${g.name} | ${g.target} | ${g.measured} | ${g.met ? 'met' : '**not met**'} | ${g.why} |`,
    );
    process.stdout.write(
      [
        ...fleetSection(fleet, CONFIG.fleet),
        '| goal | target | measured | met | why not |',
        '|---|---|---|---|---|',
        ...rows,
        '',
      ].join('\n'),
    );
    log(`wrote ${path}`);
    return strict && goals.some((g) => !g.met) ? 2 : 0;
  } finally {
    removeBundles();
  }
}

async function main(): Promise<number> {
  ensureBenchDeps();
  ensureBuild();
  if (process.argv.includes('--fleet')) return fleetOnly();
  const removeBundles = compileScripts();
  const tmp = mkdtempSync(join(tmpdir(), 'longrunning-bench-'));
  const server = await startServer().catch((error: unknown) => {
    removeBundles();
    throw error;
  });
  loadAverage.push(loadavg()[0] ?? Number.NaN);
  const control = new Control(server.control);
  const base = { grpc: server.grpc, grpcNoWait: server.grpcNoWait, control: server.control };
  try {
    /**
     * Runs `fn` on the shared server, or with --quick, where scenarios run at once, on a
     * server process of its own (whose RPC counters and open waits are then its alone).
     */
    const onServer = async <T>(fn: (address: ServerAddress) => Promise<T>, always = false): Promise<T> => {
      if (!quick && !always) return fn(base);
      const own = await startServer();
      try {
        return await fn({ grpc: own.grpc, grpcNoWait: own.grpcNoWait, control: own.control });
      } finally {
        own.stop();
      }
    };
    /** Runs the `tasks` one after another (a full run: each measured alone) or, with --quick, at once. */
    const inTurn = async <T>(tasks: (() => Promise<T>)[]): Promise<T[]> => {
      if (quick) return Promise.all(tasks.map((t) => t()));
      const results: T[] = [];
      for (const t of tasks) results.push(await t());
      return results;
    };

    const installAndColdStart = async () => {
      log('scenario 5: install size (npm pack + npm install into empty folders)');
      const install = await measureInstalls(root, tmp);
      log(`scenario 4: cold start, ${CONFIG.coldRuns} runs each`);
      const [coldName] = await control.create(1, 'cold');
      if (coldName === undefined) throw new Error('bench: no operation for the cold start');
      const coldStart = measureColdStart(install.dirs, server.grpc, coldName, CONFIG.coldRuns);
      const { dirs: _dirs, ...sizes } = install;
      return { coldStart, sizes };
    };

    const costs = () =>
      onServer(async (address) => {
        log(`scenario 1: per-poll cost, ${CONFIG.poll.rounds} × ${CONFIG.poll.perRound} polls each`);
        const pollCost = await worker<PollCostResult>('poll-cost.ts', { ...address, ...CONFIG.poll });
        log(
          `scenario 6: client CPU per held wait, ${CONFIG.held.rounds} × ${CONFIG.held.perRound} waits each`,
        );
        const held = await worker<HeldCostResult>('held-cost.ts', { ...address, ...CONFIG.held });
        log(`scenario 7: unary GetOperation latency while ${CONFIG.unary.waits} waits are held`);
        const unary = await worker<UnaryResult>('unary.ts', { ...address, ...CONFIG.unary });
        return { pollCost, held, unary };
      });

    // Each run of scenario 8 has a server process of its own (whose RPC counters are then
    // that run's alone). A full run makes them one after another, as a notice latency
    // measured beside six other processes is mostly the machine's; --quick, concurrently.
    const slowRuns = () =>
      inTurn(
        SLOW_RUNS.map(([shape, variant]) => () => {
          log(`scenario 8: slow operations without WaitOperation, ${shape} progress, ${variant}`);
          return onServer(
            (address) =>
              worker<NoticeResult>('notice.ts', {
                ...address,
                ...CONFIG.slow,
                variant,
                shape,
                prefix: `slow-${shape}`,
              }),
            true,
          );
        }),
      );
    const NOTICE_VARIANTS = ['auto', 'poll', 'gax', 'auto-shared'];
    const noticeRuns = () =>
      inTurn(
        NOTICE_VARIANTS.map((variant) => () => {
          log(`scenario 2: notice latency, ${variant}, ${CONFIG.notice.count} operations`);
          return onServer((address) =>
            worker<NoticeResult>('notice.ts', { ...address, ...CONFIG.notice, variant }),
          );
        }),
      );
    const SCALE_VARIANTS = ['auto', 'gax'];
    const scaleRuns = () =>
      inTurn(
        SCALE_VARIANTS.map((variant) => () => {
          log(`scenario 3: scale, ${variant}, ${CONFIG.scale.count} concurrent waits`);
          return onServer((address) =>
            worker<NoticeResult>('notice.ts', {
              ...address,
              ...CONFIG.scale,
              variant,
              prefix: 'scale',
              sampleRss: true,
              profile: true,
            }),
          );
        }),
      );

    // Scenario 9 (issue 20): its runs one after another in a full run, after the other
    // scenarios (so that it does not change what those measure); with --quick, at once and
    // beside them (a smoke test: its numbers are indicative only).
    const fleetRuns = () => runFleet({ startServer, worker, log }, CONFIG.fleet, root, quick);
    const quickFleet = quick ? fleetRuns() : undefined;

    // A full run measures each scenario alone, in this order. --quick (a smoke test whose
    // numbers are indicative only) runs them all at once, each worker on its own server.
    let parts: [
      Awaited<ReturnType<typeof installAndColdStart>>,
      Awaited<ReturnType<typeof costs>>,
      NoticeResult[],
      NoticeResult[],
      NoticeResult[],
    ];
    if (quick) {
      parts = await Promise.all([installAndColdStart(), costs(), slowRuns(), noticeRuns(), scaleRuns()]);
    } else {
      parts = [
        await installAndColdStart(),
        await costs(),
        await slowRuns(),
        await noticeRuns(),
        await scaleRuns(),
      ];
    }
    const [{ coldStart, sizes }, { pollCost, held, unary }, slowResults, noticeResults, scaleResults] = parts;
    const fleet = await (quickFleet ?? fleetRuns());
    const slow: Record<string, NoticeResult> = {};
    SLOW_RUNS.forEach(([shape, variant], i) => {
      const result = slowResults[i];
      if (result !== undefined) slow[`${shape}/${variant}`] = result;
    });
    const byVariant = (variants: string[], results: NoticeResult[]): Record<string, NoticeResult> => {
      const record: Record<string, NoticeResult> = {};
      variants.forEach((v, i) => {
        const result = results[i];
        if (result !== undefined) record[v] = result;
      });
      return record;
    };
    const notice = byVariant(NOTICE_VARIANTS, noticeResults);
    const scale = byVariant(SCALE_VARIANTS, scaleResults);

    loadAverage.push(loadavg()[0] ?? Number.NaN);
    const cpu = cpus();
    const results: BenchResults = {
      mode: quick ? 'quick' : 'full',
      date: new Date().toISOString(),
      durationS: (performance.now() - started) / 1000,
      machine: {
        cpu: cpu[0]?.model.trim() ?? 'unknown',
        cores: cpu.length,
        memoryGB: totalmem() / 2 ** 30,
        platform: `${process.platform} ${process.arch}`,
      },
      node: process.version,
      config: CONFIG,
      load: loadAverage,
      scenarios: { pollCost, notice, scale, coldStart, install: sizes, held, unary, slow, fleet },
      goals: [],
    };
    results.goals = evaluateGoals(results);

    const outDir = quick ? join(bench, '.quick') : root;
    mkdirSync(outDir, { recursive: true });
    const jsonPath = quick ? join(outDir, 'results.json') : join(bench, 'results.json');
    writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
    // The plots go beside results.json (bench/, or bench/.quick/), linked from the Markdown.
    writePlots(results, dirname(jsonPath));
    const markdown = renderMarkdown(results, relative(outDir, dirname(jsonPath)) || '.');
    writeFileSync(join(outDir, 'BENCHMARKS.md'), markdown);
    process.stdout.write(markdown);
    log(`wrote ${join(outDir, 'BENCHMARKS.md')} and ${jsonPath}`);
    const unmet = results.goals.filter((g) => !g.met);
    if (unmet.length > 0) log(`goals not met: ${unmet.map((g) => g.name).join('; ')}`);
    return strict && unmet.length > 0 ? 2 : 0;
  } finally {
    server.stop();
    removeBundles();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`\nBENCHMARK FAILED: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    process.exit(1);
  },
);
