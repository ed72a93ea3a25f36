/**
 * Registry overhead: `registry.unpack(any)` against a bare protobufjs `Type.decode` +
 * `toObject` of the same bytes with the same options, for a few message shapes. Rounds
 * of the two alternate so machine noise hits both alike; the reported ratio is the median
 * over rounds. Each round is timed in CPU time of this process (user + system), not wall
 * time: on a shared machine the wall clock also counts time the process was not running,
 * which made single rounds 2 to 3 times longer at random. Exits 1 when the median ratio of
 * any shape exceeds the goal (1.10).
 *
 * Usage: npm run bench:unpack [-- --quick]
 */
import { TO_OBJECT_OPTIONS } from '../src/proto/builtin.ts';
import { createRegistry } from '../src/proto/registry.ts';

const GOAL = 1.1;
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 7 : 21;
const PER_ROUND = quick ? 20_000 : 100_000;

const registry = createRegistry();
const shapes = {
  'ExportMetadata (3 scalars)': registry.pack('longrunning.demo.v1.ExportMetadata', {
    progressPercent: 42,
    rowsProcessed: '123456',
    state: 'RUNNING',
  }),
  'ErrorInfo (map field)': registry.pack('google.rpc.ErrorInfo', {
    reason: 'QUOTA_EXCEEDED',
    domain: 'example.googleapis.com',
    metadata: { service: 'example', consumer: 'projects/123', limit: '100' },
  }),
  'BadRequest (nested repeated)': registry.pack('google.rpc.BadRequest', {
    fieldViolations: Array.from({ length: 5 }, (_, i) => ({ field: `f${i}`, description: 'must be set' })),
  }),
};

let sink = 0;
/** CPU milliseconds (user + system) this process spent on PER_ROUND calls of `fn`. */
function time(fn: () => unknown): number {
  const start = process.cpuUsage();
  for (let i = 0; i < PER_ROUND; i++) {
    if (fn() !== undefined) sink++;
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const rows: { shape: string; bareNs: number; registryNs: number; ratio: number }[] = [];
for (const [shape, any] of Object.entries(shapes)) {
  const type = registry.lookup(registry.typeName(any));
  if (type === undefined) throw new Error(`bench: ${shape} type missing`);
  const bare = () => type.toObject(type.decode(any.value), TO_OBJECT_OPTIONS);
  const viaRegistry = () => registry.unpack(any);
  // Correctness of what is timed: both paths give the same value.
  if (JSON.stringify(bare()) !== JSON.stringify(viaRegistry()))
    throw new Error(`bench: ${shape} results differ`);
  time(bare);
  time(viaRegistry); // warm-up
  const ratios: number[] = [];
  const bareTimes: number[] = [];
  const regTimes: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which runs first, so drift in the machine's speed favours neither.
    let b: number;
    let g: number;
    if (r % 2 === 0) {
      b = time(bare);
      g = time(viaRegistry);
    } else {
      g = time(viaRegistry);
      b = time(bare);
    }
    bareTimes.push(b);
    regTimes.push(g);
    ratios.push(g / b);
  }
  const toNs = (ms: number) => (ms * 1e6) / PER_ROUND;
  rows.push({
    shape,
    bareNs: toNs(median(bareTimes)),
    registryNs: toNs(median(regTimes)),
    ratio: median(ratios),
  });
}

console.log(
  `unpack: registry vs bare decode+toObject, CPU time, median of ${ROUNDS} rounds × ${PER_ROUND} (node ${process.version})`,
);
console.log('| message | bare ns/op | registry ns/op | ratio |');
console.log('|---|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.shape} | ${r.bareNs.toFixed(0)} | ${r.registryNs.toFixed(0)} | ${r.ratio.toFixed(3)} |`);
}
const worst = Math.max(...rows.map((r) => r.ratio));
console.log(`worst ratio ${worst.toFixed(3)} (goal ≤ ${GOAL.toFixed(2)}; checksum ${sink})`);
if (worst > GOAL) {
  console.error(`bench:unpack: registry overhead ${worst.toFixed(3)}× exceeds ${GOAL}×`);
  process.exit(1);
}
