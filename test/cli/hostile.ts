/**
 * Hostile server text for the terminal-injection tests (issue 22, point 1): operation names
 * and messages carrying what a terminal acts on, and a count of the raw control characters
 * an output contains. The character class is written here independently of src/cli/escape.ts.
 */
import type { FakeOperationsServer } from '../../src/testing/fake-server.ts';

/** Names a hostile server lists: an erase-line, a window title, a forged line, the one-byte CSI, a bidi override. */
export const HOSTILE_NAMES: readonly string[] = [
  'operations/erase-\u001b[2K-line',
  'operations/title-\u001b]0;pwned\u0007-osc',
  'operations/lf\noperations/forged  DONE  100%',
  'operations/csi-\u009b2J-clear',
  'operations/bidi-\u202egnp.exe',
];

/** A status message that would move up a line and erase it, then forge one. */
export const HOSTILE_MESSAGE = 'boom\u001b[1A\u001b[2K\u009b1A\u202e\noperations/forged  DONE  100%';

/** A type URL with an escape sequence in it. */
export const HOSTILE_TYPE_URL = 'type.googleapis.com/acme.v1.\u001b]0;owned\u0007Thing';

/** C0 but line feed, DEL, C1, bidi controls and the line/paragraph separators. */
const RAW_CLASS = String.raw`[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]`;
const RAW = new RegExp(RAW_CLASS, 'g');

/** The raw control characters in `text` (line feeds not counted: they are checked as line counts). */
export function rawControls(text: string): number {
  return text.match(RAW)?.length ?? 0;
}

/**
 * What the terminal views of `lro` write on purpose, removed before counting: the table's
 * (hide and show the cursor, cursor up n lines, erase to the end of the line or screen)
 * and the single progress bar's (cli-progress: save and restore the cursor, line wrap off
 * and on, cursor to column 1), and carriage returns (the pseudo-terminal also turns each
 * line feed into CR LF). An erase of the whole line (`ESC[2K`), a title (`ESC]`), a
 * one-byte CSI or a bidi control is none of these.
 */
const OWN = String.raw`\u001b[78]|\u001b\[\?(25|7)[lh]|\u001b\[\d+A|\u001b\[1G|\u001b\[0?[KJ]|\r`;
const OWN_SEQUENCES = new RegExp(OWN, 'g');

/** `rawControls` of a terminal's output, after removing the sequences the views write themselves. */
export function rawControlsOnTerminal(text: string): number {
  return rawControls(text.replace(OWN_SEQUENCES, ''));
}

/**
 * Seeds `server` with a running operation per hostile name (with `suffix` appended), at
 * 40% with a hostile metadata state. Returns the names.
 */
export function seedHostile(server: FakeOperationsServer, suffix = ''): string[] {
  const names = HOSTILE_NAMES.map((n) => `${n}${suffix}`);
  for (const name of names) {
    server.create({
      name,
      metadataType: 'longrunning.demo.v1.ExportMetadata',
      metadata: { progressPercent: 40, state: `EXPORTING\u001b[2K\u009b${name.slice(-4)}` },
    });
  }
  return names;
}
