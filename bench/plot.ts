/**
 * SVG plots for BENCHMARKS.md, one per notice-latency scenario: each variant's notice
 * latency (p50 as a dot, a bar up to p99) against its RPCs per operation, ours and gax
 * side by side. Lower and further left is better. Rendered from the results only, by
 * `npm run bench` (run.ts), into bench/ (bench/.quick/ with `--quick`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResults } from './goals.ts';
import type { NoticeResult } from './notice.ts';

/** One picture: its file name, its caption and its SVG text. */
export interface Plot {
  readonly file: string;
  readonly title: string;
  readonly svg: string;
}

/** How each variant key of results.json is labelled and coloured. */
const VARIANTS: Readonly<Record<string, { readonly label: string; readonly color: string }>> = {
  auto: { label: 'ours auto (defaults)', color: '#4e79a7' },
  poll: { label: "ours strategy 'poll' (defaults)", color: '#76b7b2' },
  'auto-shared': { label: "ours auto on a caller's channel (maxWaitCalls 64)", color: '#59a14f' },
  gax: { label: 'google-gax promise() (defaults)', color: '#e15759' },
};
const OTHER = '#999';

const WIDTH = 780;
const HEIGHT = 380;
const PAD = { left: 70, right: 290, top: 40, bottom: 50 } as const;

const f = (n: number): string => n.toFixed(1);
/** A latency for the legend: one decimal below 10 ms. */
const ms = (v: number): string => (v < 10 ? v.toFixed(1) : v.toFixed(0));
/** XML-escapes text. */
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Powers of ten from below `lo` to above `hi`: the log axis' ticks. */
function decades(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

/** A "nice" linear axis maximum and step for values up to `max`. */
function niceAxis(max: number): { top: number; step: number } {
  const raw = Math.max(max, 1e-9) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  return { top: Math.ceil(max / step) * step, step };
}

/** The plot of one scenario's variants. Latency is on a log axis (p50s span about 1 ms to seconds). */
export function latencyPlot(title: string, variants: Readonly<Record<string, NoticeResult>>): string {
  const entries = Object.entries(variants);
  const lats = entries.flatMap(([, v]) => [v.latencyMs.p50, v.latencyMs.p99]).map((ms) => Math.max(ms, 0.1));
  const ticksY = decades(Math.min(...lats), Math.max(...lats));
  const yLo = Math.log10(ticksY[0] ?? 0.1);
  const yHi = Math.log10(ticksY[ticksY.length - 1] ?? 1e4);
  const { top: xTop, step: xStep } = niceAxis(Math.max(...entries.map(([, v]) => v.rpcsPerOp)) * 1.1);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (rpcs: number): number => PAD.left + (plotW * rpcs) / xTop;
  const y = (ms: number): number =>
    PAD.top + plotH - (plotH * (Math.log10(Math.max(ms, 0.1)) - yLo)) / Math.max(yHi - yLo, 1e-9);

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(title)}: notice latency (p50 dot, bar to p99) against RPCs per operation</title>`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="${PAD.left}" y="22" font-size="13" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of ticksY) {
    out.push(
      `<line x1="${PAD.left}" y1="${f(y(t))}" x2="${PAD.left + plotW}" y2="${f(y(t))}" stroke="#eee"/>`,
      `<text x="${PAD.left - 6}" y="${f(y(t) + 4)}" text-anchor="end" fill="#555">${t >= 1000 ? `${t / 1000} s` : `${t} ms`}</text>`,
    );
  }
  for (let r = 0; r <= xTop + 1e-9; r += xStep) {
    out.push(
      `<line x1="${f(x(r))}" y1="${PAD.top}" x2="${f(x(r))}" y2="${PAD.top + plotH}" stroke="#f3f3f3"/>`,
      `<text x="${f(x(r))}" y="${PAD.top + plotH + 16}" text-anchor="middle" fill="#555">${Number(r.toFixed(2))}</text>`,
    );
  }
  out.push(
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    `<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">RPCs per operation</text>`,
    `<text transform="translate(16 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">notice latency (log scale)</text>`,
  );
  entries.forEach(([key, v], i) => {
    const { label, color } = VARIANTS[key] ?? { label: key, color: OTHER };
    const cx = x(v.rpcsPerOp);
    out.push(
      `<line x1="${f(cx)}" y1="${f(y(v.latencyMs.p50))}" x2="${f(cx)}" y2="${f(y(v.latencyMs.p99))}" stroke="${color}" stroke-width="3" opacity="0.5"/>`,
      `<line x1="${f(cx - 5)}" y1="${f(y(v.latencyMs.p99))}" x2="${f(cx + 5)}" y2="${f(y(v.latencyMs.p99))}" stroke="${color}" stroke-width="2"/>`,
      `<circle cx="${f(cx)}" cy="${f(y(v.latencyMs.p50))}" r="5" fill="${color}"/>`,
    );
    const ly = PAD.top + 10 + i * 38;
    const lx = PAD.left + plotW + 16;
    out.push(
      `<circle cx="${lx}" cy="${ly}" r="5" fill="${color}"/>`,
      `<text x="${lx + 10}" y="${ly + 4}">${esc(label)}</text>`,
      `<text x="${lx + 10}" y="${ly + 18}" fill="#555">${v.rpcsPerOp.toFixed(2)} RPCs/op, p50 ${ms(v.latencyMs.p50)} ms, p99 ${ms(v.latencyMs.p99)} ms</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}

/** The plots of one run: the notice scenario and the scale scenario. */
export function renderPlots(r: BenchResults): Plot[] {
  const { notice, scale } = r.config;
  const plot = (file: string, title: string, variants: Record<string, NoticeResult>): Plot => ({
    file,
    title,
    svg: latencyPlot(title, variants),
  });
  return [
    plot(
      'bench-notice.svg',
      `Notice latency: ${notice.count} operations completing over ${notice.spreadMs / 1000} s`,
      r.scenarios.notice,
    ),
    plot(
      'bench-scale.svg',
      `Scale: ${scale.count} concurrent waits completing over ${scale.spreadMs / 1000} s`,
      r.scenarios.scale,
    ),
  ];
}

/** Writes each plot into `dir`. */
export function writePlots(r: BenchResults, dir: string): void {
  for (const p of renderPlots(r)) writeFileSync(join(dir, p.file), p.svg);
}
