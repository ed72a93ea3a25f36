/**
 * Server text is data: the one function that makes a string safe to show on a terminal.
 * Operation names, error messages, type URLs and metadata come from a server (or a proxy)
 * that `lro` does not trust; written raw, an ESC sequence would move the cursor, erase a
 * line or set the window title, a line feed would forge an output line, and a bidi control
 * would make text read in another order than it is stored. Every output path of `lro`
 * passes such strings through `escapeControls` (text output per string, JSON output as a
 * whole in `toJson`).
 *
 * Escaped: C0 controls (U+0000–U+001F, tab and line feed included), DEL (U+007F), C1
 * controls (U+0080–U+009F, e.g. U+009B, the one-byte CSI), the bidi controls (U+061C,
 * U+200E, U+200F, U+202A–U+202E, U+2066–U+2069) and the line and paragraph separators
 * (U+2028, U+2029). Text shows them as `\n`, `\r`, `\t`, `\xHH` (up to U+00FF) or
 * `\uHHHH`; a backslash already in the text is left as it is.
 */

/** Code point ranges (inclusive) that are never written raw. */
const C0: readonly [number, number] = [0x00, 0x1f];
const OTHERS: readonly (readonly [number, number])[] = [
  [0x7f, 0x9f], // DEL and C1
  [0x61c, 0x61c], // ARABIC LETTER MARK
  [0x200e, 0x200f], // LEFT-TO-RIGHT / RIGHT-TO-LEFT MARK
  [0x2028, 0x2029], // LINE / PARAGRAPH SEPARATOR
  [0x202a, 0x202e], // embeddings and overrides (LRE, RLE, PDF, LRO, RLO)
  [0x2066, 0x2069], // isolates (LRI, RLI, FSI, PDI)
];

/** A global character class of the ranges. */
function characterClass(ranges: readonly (readonly [number, number])[]): RegExp {
  const hex = (n: number): string => `\\u{${n.toString(16)}}`;
  return new RegExp(`[${ranges.map(([from, to]) => `${hex(from)}-${hex(to)}`).join('')}]`, 'gu');
}

/**
 * How `escapeControls` treats its input:
 * - `'text'`: a string from a server, shown inside a line: every unsafe character escaped.
 * - `'lines'`: multi-line text of `lro`'s own (a stack trace) whose line feeds are layout:
 *   every unsafe character but the line feed escaped.
 * - `'json'`: the output of `JSON.stringify`, which already escapes C0 inside strings and
 *   whose raw line feeds and spaces are indentation: DEL, C1, bidi controls and the
 *   separators become `\uHHHH` JSON escapes (valid JSON with the same value).
 */
export type EscapeMode = 'text' | 'lines' | 'json';

const PATTERNS: Readonly<Record<EscapeMode, RegExp>> = {
  text: characterClass([C0, ...OTHERS]),
  lines: characterClass([[0x00, 0x09], [0x0b, 0x1f], ...OTHERS]),
  json: characterClass(OTHERS),
};

const SHORT: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** The visible text form of one unsafe character. */
function textEscape(char: string): string {
  const short = SHORT[char];
  if (short !== undefined) return short;
  const code = char.codePointAt(0) ?? 0;
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The JSON string escape of one unsafe character. */
function jsonEscape(char: string): string {
  return `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` with every character a terminal would act on (see the file comment) replaced by
 * a visible escape, as `mode` says; text without any is returned unchanged. Never throws.
 */
export function escapeControls(text: string, mode: EscapeMode = 'text'): string {
  return text.replace(PATTERNS[mode], mode === 'json' ? jsonEscape : textEscape);
}
