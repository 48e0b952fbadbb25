import type { Terminal } from './terminal';

/** How often a growing object is redrawn, at most: about an animation frame's rhythm. */
export const REDRAW_MS = 50;

/**
 * A block of text on a terminal that can be redrawn in place (the object of `--json-schema` as
 * it grows): the cursor goes back to the block's first row and everything below is cleared.
 * That needs the terminal's width (to count wrapped rows) and a block shorter than the screen
 * (rows that scrolled away cannot be reached): {@link fits} says when a frame can be drawn.
 */
export class LiveFrame {
  /** The rows the frame on screen takes (0: none drawn). */
  private rows = 0;

  constructor(
    private readonly terminal: Terminal,
    private readonly size: { columns: number; rows: number },
  ) {}

  /** Whether a frame is on screen (the cursor at the end of its last row). */
  get drawn(): boolean {
    return this.rows > 0;
  }

  /** Whether `text` can be drawn and later redrawn: it fits on the screen, with a row to spare. */
  fits(text: string): boolean {
    return this.rowsOf(text) < this.size.rows;
  }

  /** Replaces the frame on screen (if any) by `text` (no trailing newline). */
  draw(text: string): void {
    this.terminal.write(`${this.erasing()}${text}`);
    this.rows = this.rowsOf(text);
  }

  /** Erases the frame on screen, if any. */
  clear(): void {
    if (this.rows > 0) this.terminal.write(this.erasing());
    this.rows = 0;
  }

  /** Forgets the frame: something else was written after it, so it stays as it is. */
  forget(): void {
    this.rows = 0;
  }

  /** Back to the first column of the frame's first row, and clear to the end of the screen. */
  private erasing(): string {
    if (this.rows === 0) return '';
    return `\r${this.rows > 1 ? `\x1b[${this.rows - 1}A` : ''}\x1b[J`;
  }

  private rowsOf(text: string): number {
    const columns = this.size.columns;
    return text
      .split('\n')
      .reduce((rows, line) => rows + Math.max(1, Math.ceil(displayWidth(line) / columns)), 0);
  }
}

/**
 * The columns a line takes on a terminal, roughly as terminals count them: wide East Asian
 * characters and emoji 2, combining marks and joiners 0, others 1.
 */
export function displayWidth(line: string): number {
  let width = 0;
  for (const char of line) {
    const code = char.codePointAt(0)!;
    if (code < 0x7f) width += 1;
    else if (ZERO_WIDTH.test(char) || (code >= 0x200b && code <= 0x200f)) continue;
    else if (code >= 0xfe00 && code <= 0xfe0f) continue;
    else if (WIDE.test(char)) width += 2;
    else width += 1;
  }
  return width;
}

const ZERO_WIDTH = /\p{M}/u;

const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f000}-\u{1faff}\u{20000}-\u{3fffd}]/u;
