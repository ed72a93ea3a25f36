/**
 * Shows a wait's progress: a bar (cli-progress) on a TTY, one plain line per changed
 * snapshot otherwise, nothing with --json. Writes to stderr so stdout stays for results.
 */
import cliProgress from 'cli-progress';
import { formatDuration } from './duration.js';
import { type OperationView, oneLine, stateOf } from './format.js';

export interface ProgressView {
  update(op: OperationView): void;
  stop(): void;
}

/** Picks the view for `stream`: a bar when it is a TTY, lines when not, nothing when `quiet`. */
export function progressView(stream: NodeJS.WriteStream, quiet: boolean, now: () => number): ProgressView {
  const started = now();
  if (quiet) return { update() {}, stop() {} };
  if (stream.isTTY !== true) {
    return {
      update: (op) => stream.write(`${oneLine(op, now() - started)}\n`),
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: ' {bar} {percentage}% | {elapsed} | {state}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  let started_ = false;
  const payload = (op: OperationView) => ({ elapsed: formatDuration(now() - started), state: stateOf(op) });
  return {
    update(op) {
      const value = op.progress ?? (op.done ? 100 : 0);
      if (!started_) {
        bar.start(100, value, payload(op));
        started_ = true;
      } else {
        bar.update(value, payload(op));
      }
    },
    /** Ends the bar (once: later calls do nothing). */
    stop() {
      if (started_) bar.stop();
      started_ = false;
    },
  };
}
