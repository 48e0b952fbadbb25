import { RxChatError } from '../errors';

/** What an {@link SseDecoder} reports, as plain calls (no object per event). */
export interface SseHandlers {
  /** A dispatched event; `incomplete` when the body ended before its closing blank line. */
  message(
    data: string,
    event: string | undefined,
    id: string | undefined,
    incomplete: boolean,
  ): void;
  comment?(comment: string): void;
  retry?(retry: number): void;
}

const LF = 10;
const SPACE = 32;
const COLON = 58;
const BOM = 0xfeff;

/**
 * The engine of {@link decodeSse}, also driven directly by the client's fused body reader: one
 * streaming `TextDecoder` and one line parser for one body, following the WHATWG rules for
 * interpreting an event stream. Synchronous per piece, and cut-invariant: the events, and
 * whether and where the stream fails, depend only on the text, never on how it was cut.
 *
 * - A CR ends its line at once, even at the end of a piece (an event framed with CRs is not
 *   held back until more bytes come); a LF starting the next piece completes that CRLF.
 * - One leading BOM is dropped, whether the body is bytes or text; a second one is data.
 * - An event is dispatched when it had a `data` field, even an empty one (data `""`).
 * - A line longer than `maxEventBytes` (a comment or any field, without its line break), or an
 *   event whose data grows longer than that, fails the stream with `event_too_large` at that
 *   line. So the line being assembled and the data being joined are each bounded.
 *
 * `feed` and `end` return that error once it has happened; after it the decoder reports nothing
 * more.
 *
 * The lines are read here rather than by eventsource-parser (3.x): it holds a CR at the end of a
 * piece back, takes the three characters of a mis-decoded BOM for one, and bounds what it buffers
 * by a measure that depends on where the pieces were cut, without telling which line was long.
 */
export class SseDecoder {
  // The BOM is handled below, the same way for bytes and for text, so the decoder keeps it.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private atStart = true;
  /** The last piece ended with a CR: a LF opening the next piece belongs to that line break. */
  private afterCr = false;
  /** The start of a line cut by the end of a piece ('' when none). */
  private partial = '';
  /** The event being assembled: data lines joined with LF, how many, `event:`, `id:`. */
  private data = '';
  private dataLines = 0;
  private event: string | undefined = undefined;
  private id: string | undefined = undefined;
  private endOfBody = false;
  private tooLarge: RxChatError | undefined;

  constructor(
    private readonly handlers: SseHandlers,
    private readonly maxEventBytes: number,
  ) {}

  /** Decodes and parses one piece of the body. */
  feed(piece: Uint8Array | string): RxChatError | undefined {
    return this.feedText(
      typeof piece === 'string' ? piece : this.decoder.decode(piece, { stream: true }),
    );
  }

  /** The body ended: reads what it left unterminated, a last line and then a last event. */
  end(): RxChatError | undefined {
    const failed = this.feedText(this.decoder.decode());
    if (failed) return failed;
    // The line break that never came ends the last line; then the blank line that never came
    // dispatches the last event, marked as lacking it.
    if (this.partial !== '') this.line('', 0, 0);
    this.endOfBody = true;
    if (!this.tooLarge) this.dispatch();
    return this.tooLarge;
  }

  private feedText(text: string): RxChatError | undefined {
    if (this.tooLarge) return this.tooLarge;
    const length = text.length;
    if (length === 0) return undefined;
    let start = 0;
    if (this.atStart) {
      this.atStart = false;
      if (text.charCodeAt(0) === BOM) start = 1;
    }
    if (this.afterCr) {
      this.afterCr = false;
      if (text.charCodeAt(start) === LF) start++;
    }

    if (text.indexOf('\r', start) === -1) {
      // Most providers frame with LF only: one search per line.
      let lf = text.indexOf('\n', start);
      while (lf !== -1) {
        this.line(text, start, lf);
        if (this.tooLarge) return this.tooLarge;
        start = lf + 1;
        lf = text.indexOf('\n', start);
      }
    } else {
      let cr = text.indexOf('\r', start);
      let lf = text.indexOf('\n', start);
      while (cr !== -1 || lf !== -1) {
        if (cr !== -1 && (lf === -1 || cr < lf)) {
          this.line(text, start, cr);
          if (lf === cr + 1) {
            start = cr + 2;
            lf = text.indexOf('\n', start);
          } else {
            start = cr + 1;
            if (start === length) this.afterCr = true;
          }
          cr = text.indexOf('\r', start);
        } else {
          this.line(text, start, lf);
          start = lf + 1;
          lf = text.indexOf('\n', start);
        }
        if (this.tooLarge) return this.tooLarge;
      }
    }

    if (start < length) {
      // The rest is the start of a line: a line that is already too long fails now, which is
      // where its end would fail it (a line in the making emits nothing).
      if (this.partial.length + length - start > this.maxEventBytes) {
        this.partial = '';
        this.fail('A line of a server-sent event');
      } else {
        this.partial += start === 0 ? text : text.slice(start);
      }
    }
    return this.tooLarge;
  }

  /** One complete line: `text` from `start` to `end`, after any part that came before. */
  private line(text: string, start: number, end: number): void {
    if (this.partial !== '') {
      text = this.partial + text.slice(start, end);
      this.partial = '';
      start = 0;
      end = text.length;
    }
    if (start === end) return this.dispatch();
    if (end - start > this.maxEventBytes) return this.fail('A line of a server-sent event');

    const first = text.charCodeAt(start);
    if (first === COLON) {
      if (this.handlers.comment) {
        const from = text.charCodeAt(start + 1) === SPACE ? start + 2 : start + 1;
        this.handlers.comment(text.slice(from, end));
      }
      return;
    }
    // `data:` first: nearly every line is one.
    if (
      first === 100 && // d
      text.charCodeAt(start + 1) === 97 && // a
      text.charCodeAt(start + 2) === 116 && // t
      text.charCodeAt(start + 3) === 97 && // a
      text.charCodeAt(start + 4) === COLON
    ) {
      const from = text.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5;
      return this.appendData(text.slice(from, end));
    }

    // `event:` next: every event of a Responses API stream has one.
    if (
      first === 101 && // e
      text.charCodeAt(start + 1) === 118 && // v
      text.charCodeAt(start + 2) === 101 && // e
      text.charCodeAt(start + 3) === 110 && // n
      text.charCodeAt(start + 4) === 116 && // t
      text.charCodeAt(start + 5) === COLON
    ) {
      const from = text.charCodeAt(start + 6) === SPACE ? start + 7 : start + 6;
      this.event = from < end ? text.slice(from, end) : undefined;
      return;
    }

    const field = end === text.length && start === 0 ? text : text.slice(start, end);
    const colon = field.indexOf(':');
    const name = colon === -1 ? field : field.slice(0, colon);
    const value =
      colon === -1
        ? ''
        : field.slice(field.charCodeAt(colon + 1) === SPACE ? colon + 2 : colon + 1);
    switch (name) {
      case 'data':
        return this.appendData(value);
      case 'event':
        this.event = value === '' ? undefined : value;
        return;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        return;
      case 'retry':
        if (/^\d+$/.test(value)) this.handlers.retry?.(parseInt(value, 10));
        return;
      default:
      // Unknown fields (and a bad `retry:` above) are ignored, as the SSE rules say.
    }
  }

  private appendData(value: string): void {
    if (this.dataLines === 0) {
      this.data = value;
    } else if (this.data.length + 1 + value.length > this.maxEventBytes) {
      return this.fail('The data of a server-sent event');
    } else {
      this.data = `${this.data}\n${value}`;
    }
    // One line's value is shorter than its line, so the first needs no check of its own.
    this.dataLines++;
  }

  /**
   * A blank line. An event with no data line is not dispatched; `data:` with an empty value is
   * (WHATWG "dispatch the event": only an empty data *buffer* is skipped, and an empty value
   * still puts a LF in the buffer).
   */
  private dispatch(): void {
    if (this.dataLines > 0) {
      this.handlers.message(this.data, this.event, this.id, this.endOfBody);
      this.data = '';
      this.dataLines = 0;
    }
    this.event = undefined;
    this.id = undefined;
  }

  private fail(what: string): void {
    this.data = '';
    this.tooLarge = new RxChatError(
      'event_too_large',
      `${what} exceeded maxEventBytes (${this.maxEventBytes})`,
    );
  }
}
