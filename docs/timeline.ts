/**
 * Draws docs/waiting-timeline.svg: what one `wait()` with the default `strategy: 'auto'`
 * does on the wire for an operation that finishes after DONE_AT_MS, against a server with
 * WaitOperation and one that answers it UNIMPLEMENTED. The schedule is computed from the
 * library's exported defaults (jitter at its midpoint, no progress metadata), so the
 * picture follows them; check-examples.ts fails when the committed file is stale.
 */
import {
  DEFAULT_INITIAL_DELAY_MS,
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_MULTIPLIER,
  DEFAULT_WAIT_CHUNK_MS,
} from '../src/transport.ts';

/** Where the picture is committed. */
export const TIMELINE_FILE = 'docs/waiting-timeline.svg';

/** When the example operation finishes. */
export const DONE_AT_MS = 75_000;
const SPAN_MS = 120_000;
const WIDTH = 840;
const LEFT = 230;
const RIGHT = 20;
const ROW = 70;
const TOP = 40;

/** One RPC on the timeline: a held call has a duration; a GetOperation is a tick. */
interface Rpc {
  readonly method: 'WaitOperation' | 'GetOperation';
  readonly startMs: number;
  readonly endMs: number;
  readonly note?: string;
}

/** WaitOperation calls of at most waitChunkMs each, until the one that returns done. */
function withWait(): Rpc[] {
  const rpcs: Rpc[] = [];
  for (let t = 0; t < DONE_AT_MS; t += DEFAULT_WAIT_CHUNK_MS) {
    rpcs.push({
      method: 'WaitOperation',
      startMs: t,
      endMs: Math.min(t + DEFAULT_WAIT_CHUNK_MS, DONE_AT_MS),
    });
  }
  return rpcs;
}

/** One WaitOperation answered UNIMPLEMENTED, then GetOperation at once and on the backoff schedule. */
function withoutWait(): Rpc[] {
  const rpcs: Rpc[] = [{ method: 'WaitOperation', startMs: 0, endMs: 0, note: 'UNIMPLEMENTED' }];
  let t = 0;
  let delay = DEFAULT_INITIAL_DELAY_MS;
  for (;;) {
    rpcs.push({ method: 'GetOperation', startMs: t, endMs: t });
    if (t >= DONE_AT_MS) return rpcs;
    t += delay;
    delay = Math.min(delay * DEFAULT_MULTIPLIER, DEFAULT_MAX_DELAY_MS);
  }
}

const x = (ms: number): number => LEFT + ((WIDTH - LEFT - RIGHT) * Math.min(ms, SPAN_MS)) / SPAN_MS;
const f = (n: number): string => n.toFixed(1);
const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

function row(index: number, title: string, subtitle: string, rpcs: readonly Rpc[]): string[] {
  const y = TOP + index * ROW;
  const out = [
    `<text x="10" y="${y + 4}" class="title">${title}</text>`,
    `<text x="10" y="${y + 20}" class="sub">${subtitle}</text>`,
    `<line x1="${LEFT}" y1="${y}" x2="${WIDTH - RIGHT}" y2="${y}" class="axis"/>`,
  ];
  for (const rpc of rpcs) {
    if (rpc.method === 'WaitOperation' && rpc.endMs > rpc.startMs) {
      out.push(
        `<rect x="${f(x(rpc.startMs))}" y="${y - 9}" width="${f(x(rpc.endMs) - x(rpc.startMs) - 2)}" height="18" rx="3" class="wait"/>`,
      );
    } else {
      const cls = rpc.method === 'WaitOperation' ? 'unimpl' : 'get';
      out.push(
        `<line x1="${f(x(rpc.startMs))}" y1="${y - 10}" x2="${f(x(rpc.startMs))}" y2="${y + 10}" class="${cls}"/>`,
      );
    }
  }
  const noticed = Math.max(...rpcs.map((r) => r.endMs));
  const gets = rpcs.filter((r) => r.method === 'GetOperation').length;
  const waits = rpcs.filter((r) => r.method === 'WaitOperation').length;
  // The label goes left of the notice mark when it would not fit on its right.
  const fits = x(noticed) + 260 < WIDTH;
  out.push(
    `<text x="${f(x(noticed) + (fits ? 4 : -4))}" y="${y - 12}" class="sub"${fits ? '' : ' text-anchor="end"'}>` +
      `noticed at ${seconds(noticed)}: ${waits} WaitOperation, ${gets} GetOperation</text>`,
  );
  return out;
}

/** The SVG text. */
export function drawTimeline(): string {
  const height = TOP + 2 * ROW + 10;
  const ticks: string[] = [];
  for (let ms = 0; ms <= SPAN_MS; ms += 15_000) {
    ticks.push(
      `<line x1="${f(x(ms))}" y1="${TOP - 25}" x2="${f(x(ms))}" y2="${height - 25}" class="grid"/>`,
      `<text x="${f(x(ms))}" y="${height - 10}" class="tick">${ms / 1000} s</text>`,
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<title>What one wait with strategy auto does on the wire, with and without WaitOperation, for an operation done at ${seconds(DONE_AT_MS)}</title>`,
    '<style>.title{font-size:13px;font-weight:bold}.sub{font-size:11px;fill:#444}.tick{font-size:10px;fill:#666;text-anchor:middle}' +
      '.axis{stroke:#999}.grid{stroke:#eee}.wait{fill:#4e79a7}.get{stroke:#e15759;stroke-width:2}.unimpl{stroke:#999;stroke-width:2;stroke-dasharray:2 2}' +
      '.done{stroke:#59a14f;stroke-width:2;stroke-dasharray:4 3}</style>',
    '<rect width="100%" height="100%" fill="white"/>',
    ...ticks,
    `<line x1="${f(x(DONE_AT_MS))}" y1="${TOP - 25}" x2="${f(x(DONE_AT_MS))}" y2="${height - 25}" class="done"/>`,
    `<text x="${f(x(DONE_AT_MS) + 4)}" y="${TOP - 28}" class="sub">operation done at ${seconds(DONE_AT_MS)}</text>`,
    ...row(
      0,
      'auto, with WaitOperation',
      `held calls of ≤ ${DEFAULT_WAIT_CHUNK_MS / 1000} s (waitChunkMs)`,
      withWait(),
    ),
    ...row(
      1,
      'auto, without WaitOperation',
      `UNIMPLEMENTED, then polls ${DEFAULT_INITIAL_DELAY_MS / 1000} s × ${DEFAULT_MULTIPLIER}ⁿ`,
      withoutWait(),
    ),
    '</svg>',
    '',
  ].join('\n');
}
