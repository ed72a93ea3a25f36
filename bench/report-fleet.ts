/** BENCHMARKS.md's section 9 (issue 20, many operations at once), rendered from the fleet's results. */

import type { FleetConfig, FleetResults, FleetRun } from './fleet-run.ts';
import { FLEET_PARENT } from './fleet-run.ts';
import { f0, f1, f2, percent, table } from './format.ts';
import { callsText, fleetMemory, fleetRun, lostByText } from './goals-fleet.ts';

const s1 = (ms: number): string => f1(ms / 1000);

function runRow(label: string, run: FleetRun): string[] {
  return [
    label,
    `${run.count}`,
    run.lost === 0 ? '0' : `${run.lost} (${lostByText(run)})`,
    callsText(run),
    `${run.rejected}`,
    percent(run.rejectedShare),
    `${f2(run.rpcsPerOp)} (${f2(run.acceptedPerOp)})`,
    run.kept === 0
      ? '–'
      : `${s1(run.latencyMs.p50)} / ${s1(run.latencyMs.p99)} / ${s1(run.latencyMs.max)}${run.kept < run.count ? ` (of ${run.kept} kept)` : ''}`,
    f0(run.cpuUsPerOp),
    s1(run.wallMs),
  ];
}

/** The section's lines: method, the runs' table, the memory table. */
export function fleetSection(fleet: FleetResults, c: FleetConfig): string[] {
  const q = fleetRun(fleet, 'quota/defaults');
  const shared = fleetRun(fleet, 'shared/defaults');
  const span = `${f0(c.minMs / 1000)}–${f0((c.minMs + c.spreadMs) / 1000)} s`;
  const { pollBudget, listPolling } = fleet.build;
  const build =
    pollBudget && listPolling
      ? 'This build has the poll budget (rule 12) and list reaping (rule 13): `pollBudget` and `listPolling` are in its declarations.'
      : `This build has ${pollBudget ? 'the poll budget (rule 12)' : 'no poll budget (rule 12)'} and ${listPolling ? 'list reaping (rule 13)' : 'no list reaping (rule 13)'}: ${[pollBudget ? undefined : '`pollBudget`', listPolling ? undefined : '`listPolling`'].filter((k) => k !== undefined).join(' and ')} ${pollBudget || listPolling ? 'is' : 'are'} not in its declarations, and the client ignores the keys, so "defaults" and \`listPolling: false\` run the same code here.`;
  const memoryRows = ['defaults', 'list-off'].map((variant) => {
    const m = fleetMemory(fleet, variant);
    return [
      variant === 'defaults' ? 'ours, defaults (reaping)' : 'ours, `listPolling: false` (polling)',
      `${m.count}`,
      f0(m.heldBytesPerWait),
      m.readingsBytesPerWait.map(f0).join(', '),
      f0(m.afterBytesPerWait),
      `${m.heldCalls.get} Get + ${m.heldCalls.list} List`,
    ];
  });
  const memory = fleetMemory(fleet, 'defaults');
  return [
    `## 9. Many operations at once (${q.count} operations of ${span}, server without WaitOperation)`,
    '',
    `A batch job's waiting (issue 20). The fake server answers WaitOperation with UNIMPLEMENTED (as most Google APIs do) and, where a quota is set, meters GetOperation and ListOperations together: past ${c.quota} reads a second it answers RESOURCE_EXHAUSTED with RetryInfo, QuotaFailure and ErrorInfo (its \`quota\` option, a token bucket with a burst of ${c.quota}). The operations are named \`${FLEET_PARENT}/operations/job-<i>\`, start at one moment, and each runs a seeded random ${span} as a job that reports \`progressPercent\` ${c.steps} times (\`server.simulate\`) and then succeeds with its own ExportResult. Each client process first warms up on 8 operations of its own (so ours has met UNIMPLEMENTED and polls), then every process of the run starts together (a barrier on the server), and the server's counters cover the run from that moment. One \`wait()\` (gax: \`promise()\`) per operation, all at once. Notice latency: the server marking an operation done → its wait settling (CLOCK_MONOTONIC in both processes). Lost: a wait that rejected instead of resolving with its result. Each run has a server process of its own; a full run makes them one after another (\`--quick\`: at once).`,
    '',
    build,
    '',
    table(
      [
        'run',
        'waits',
        'results lost',
        'calls',
        'refused for quota',
        'refused / all',
        'RPCs/op (admitted)',
        'noticed p50 / p99 / max s',
        'client CPU µs/op',
        'wall s',
      ],
      [
        runRow(`ours, defaults, quota ${c.quota}/s`, q),
        runRow(`gax \`promise()\`, quota ${c.quota}/s`, fleetRun(fleet, 'quota/gax')),
        runRow('ours, defaults, no quota', fleetRun(fleet, 'open/defaults')),
        runRow('ours, `listPolling: false`, no quota', fleetRun(fleet, 'open/list-off')),
        runRow(
          `ours, defaults, ${shared.processes} processes × ${shared.count / shared.processes}, one quota of ${c.quota}/s`,
          shared,
        ),
      ],
      [3],
    ),
    '',
    "gax 5.0.8's `promise()` rejects on the first RESOURCE_EXHAUSTED of any poll (it has no retry for it and polls from 100 ms), so its lost results are those whose first refused poll came before their completion.",
    '',
    `Memory: ${memory.count} running operations under one parent (no quota), waited on at once by one client; ${c.memory.samples} readings of the heap in use (each after two full collections, ${c.memory.sampleGapMs} ms apart) from ${s1(c.memory.holdMs)} s after the waits started, less the reading before; then the operations complete and every wait must settle with its own result. One fresh process per variant (\`--expose-gc\`).`,
    '',
    table(
      [
        'variant',
        'held waits',
        'heap per wait, median, bytes',
        'readings, bytes per wait',
        'after settling, bytes per wait',
        'calls while held',
      ],
      memoryRows,
      [3, 5],
    ),
    '',
  ];
}
