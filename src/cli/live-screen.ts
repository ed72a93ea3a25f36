/**
 * Redrawing a block of lines in place on a terminal: each frame moves the cursor up over
 * the previous frame, rewrites every line (erasing what is left of it), and erases below
 * the new frame in case it is shorter. Each frame is one write. The cursor is hidden while
 * frames are drawn and shown again by `stop()`. The only sequences written are ESC[?25l,
 * ESC[?25h, ESC[nA, ESC[K, ESC[J and CR; the lines must not contain control characters
 * (renderers escape server text) and must fit the terminal's width (a wrapped line would
 * make the next frame move up too little).
 */

/** Where frames are written: a terminal stream. */
export interface FrameSink {
  write(text: string): unknown;
}

const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
const ERASE_LINE_END = '\u001b[K';
const ERASE_BELOW = '\u001b[J';

/** The text of one frame of `lines`, drawn over a previous frame of `previous` lines. */
export function frameText(lines: readonly string[], previous: number): string {
  const up = previous > 0 ? `\r\u001b[${previous}A` : '';
  return `${up}${lines.map((line) => `${line}${ERASE_LINE_END}\n`).join('')}${ERASE_BELOW}`;
}

/** A block of lines redrawn in place. */
export class LiveScreen {
  readonly #out: FrameSink;
  /** Lines of the last frame drawn; the cursor is at the start of the line below them. */
  #drawn = 0;
  #started = false;
  #stopped = false;

  constructor(out: FrameSink) {
    this.#out = out;
  }

  /** Replaces the last frame with `lines` (the first frame hides the cursor). Nothing after `stop()`. */
  draw(lines: readonly string[]): void {
    if (this.#stopped) return;
    const hide = this.#started ? '' : HIDE_CURSOR;
    this.#started = true;
    this.#out.write(`${hide}${frameText(lines, this.#drawn)}`);
    this.#drawn = lines.length;
  }

  /** Shows the cursor again, leaving the last frame on the screen. Idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#started) this.#out.write(SHOW_CURSOR);
  }
}
