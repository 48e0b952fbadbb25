import { endsInHighSurrogate } from './code-points';

/**
 * Keeps half a surrogate pair out of streamed text. A server may cut an emoji between two chunks
 * (JSON-escaped as `"\ud83d"`, then `"\ude00"`), and either half shown alone is U+FFFD. `take`
 * holds back a trailing high surrogate and puts it in front of the next piece; `release` gives
 * up what is still held at the end. Only the last character of each piece is looked at.
 *
 * A high surrogate that never gets its low half (the stream ended, or the next piece does not
 * start with one) was lone in what the server sent: it is passed on as it is rather than dropped
 * or replaced, so the pieces always join to exactly the text received.
 *
 * @example
 * ```ts
 * const hold = new SurrogateHold();
 * hold.take('Hi \ud83d'); // 'Hi '
 * hold.take('\ude00!'); // '😀!'
 * hold.release(); // ''
 * ```
 */
export class SurrogateHold {
  private half = '';

  /** The part of `text` (after anything held) that is safe to emit now; may be `''`. */
  take(text: string): string {
    if (this.half !== '') {
      text = this.half + text;
      this.half = '';
    }
    if (!endsInHighSurrogate(text)) return text;
    this.half = text.slice(-1);
    return text.slice(0, -1);
  }

  /** What is still held (`''` or one lone high surrogate), cleared. */
  release(): string {
    const half = this.half;
    this.half = '';
    return half;
  }
}
