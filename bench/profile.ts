/**
 * CPU profiles taken inside a benchmark worker (node:inspector's Profiler, the same sampler
 * as `node --cpu-prof`), started and stopped around the work to explain, and summarised as
 * the functions with the most self time, so BENCHMARKS.md can say where the time went when
 * a goal is not met.
 */
import { Session } from 'node:inspector/promises';

/** One function's share of a profile's samples. */
export interface HotFunction {
  /** The function's name (`(anonymous)` when it has none), or a V8 category such as `(garbage collector)`. */
  name: string;
  /** Where it is defined: package or repository-relative path and line, `''` for V8 categories. */
  where: string;
  /** Self time: samples in the function itself, ms. */
  selfMs: number;
  /** Self time as a share of all samples that were not idle, 0..1. */
  share: number;
}

/** A summarised profile. */
export interface ProfileSummary {
  /** Sampled time that was not idle, ms. */
  busyMs: number;
  /** Busy time (ms) by where it was spent: a package (`longrunning` is this library), Node.js internals, GC, V8 / native, other. */
  byArea: Record<string, number>;
  /** The functions with the most self time, most first. */
  top: HotFunction[];
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
/** The parts of a V8 `.cpuprofile` that are read here. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[] | undefined;
  timeDeltas?: number[] | undefined;
}

/** A running profiler of this process; `stop()` ends it and returns the profile. */
export interface Profiler {
  stop(): Promise<CpuProfile>;
}

/** Starts sampling this process every `intervalUs` µs. */
export async function startProfiler(intervalUs = 200): Promise<Profiler> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

/** The short place of a script URL: `grpc-js/…` for a package, the path under the repository otherwise. */
function shortPlace(url: string): string {
  if (url === '') return '';
  const path = url.replace(/^file:\/\//, '');
  const pkg = path.lastIndexOf('/node_modules/');
  if (pkg !== -1) return path.slice(pkg + '/node_modules/'.length).replace(/^@grpc\//, '');
  const repo = path.search(/\/(dist|src|bench)\//);
  return repo === -1 ? path : path.slice(repo + 1);
}

/** The package a path or URL belongs to (`@grpc/grpc-js`, `protobufjs` with its `@protobufjs/*` helpers), `longrunning` for this repository's files, or undefined. */
export function packageOf(url: string): string | undefined {
  const pkg = url.lastIndexOf('/node_modules/');
  if (pkg !== -1) {
    const [scope, name] = url.slice(pkg + '/node_modules/'.length).split('/');
    // protobufjs's helper packages (@protobufjs/codegen, …) count as protobufjs.
    if (scope === '@protobufjs') return 'protobufjs';
    return scope?.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (/\/(dist|src)\//.test(url)) return 'longrunning';
  return undefined;
}

/** The area a frame's time is charged to: its package, Node.js internals, GC, V8 / native or other. */
function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName === '(garbage collector)' ? 'GC' : 'V8 / native';
  if (url.startsWith('node:')) return 'Node.js internals';
  return packageOf(url) ?? 'other';
}

/** Frames that are not work: the process waiting for I/O, and the profiler's own root. `(program)`, native work outside JavaScript (compiling, libuv, HTTP/2), counts. */
const IDLE = new Set(['(idle)', '(root)']);

/** The `limit` functions with the most self time in `profile`, and the busy time by area. */
export function summarizeProfile(profile: CpuProfile, limit = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const self = new Map<string, HotFunction>();
  const byArea: Record<string, number> = {};
  let busyUs = 0;
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next one (V8's own attribution).
    const us = deltas[i + 1] ?? 0;
    const frame = byId.get(samples[i] ?? -1);
    if (frame === undefined || IDLE.has(frame.functionName)) continue;
    busyUs += us;
    const area = areaOf(frame);
    byArea[area] = (byArea[area] ?? 0) + us / 1000;
    const where = frame.url === '' ? '' : `${shortPlace(frame.url)}:${frame.lineNumber + 1}`;
    const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    const key = `${name} ${where}`;
    const entry = self.get(key) ?? { name, where, selfMs: 0, share: 0 };
    entry.selfMs += us / 1000;
    self.set(key, entry);
  }
  const top = [...self.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, limit);
  for (const f of top) f.share = busyUs === 0 ? 0 : f.selfMs / (busyUs / 1000);
  return { busyMs: busyUs / 1000, byArea, top };
}

/** Allocation by where it was made, from V8's sampling heap profiler. */
export interface AllocationSummary {
  /** Bytes allocated in all (sampled estimate), KB. */
  totalKB: number;
  /** KB by area (as `ProfileSummary.byArea`: a package, Node.js internals, V8 / native, other). */
  byArea: Record<string, number>;
  /** The functions that allocated most, KB, most first. */
  top: { name: string; where: string; kb: number }[];
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/**
 * Starts V8's sampling heap profiler (every `intervalBytes` on average), counting objects
 * that garbage collection has already freed too: what was allocated, not what is live.
 */
export async function startHeapSampler(
  intervalBytes = 512,
): Promise<{ stop(limit?: number): Promise<AllocationSummary> }> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: intervalBytes,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return {
    async stop(limit = 10) {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      session.disconnect();
      const byArea: Record<string, number> = {};
      const sites = new Map<string, { name: string; where: string; kb: number }>();
      let total = 0;
      const visit = (node: HeapNode): void => {
        const frame = node.callFrame;
        const kb = node.selfSize / 1024;
        total += kb;
        const area = areaOf(frame);
        byArea[area] = (byArea[area] ?? 0) + kb;
        const where = frame.url === '' ? '' : `${shortPlace(frame.url)}:${frame.lineNumber + 1}`;
        const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
        const site = sites.get(`${name} ${where}`) ?? { name, where, kb: 0 };
        site.kb += kb;
        sites.set(`${name} ${where}`, site);
        for (const child of node.children) visit(child);
      };
      visit(profile.head);
      return { totalKB: total, byArea, top: [...sites.values()].sort((a, b) => b.kb - a.kb).slice(0, limit) };
    },
  };
}
