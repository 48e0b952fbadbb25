import { createParser, type EventSourceParser } from 'eventsource-parser';
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

const LAST_IS_CR = 1;
const LAST_IS_LF = 2;
const LAST_IS_OTHER = 3;

/**
 * The engine of {@link decodeSse}, also driven directly by the client's fused body reader: one
 * streaming `TextDecoder` and one eventsource-parser for one body. Synchronous per piece.
 *
 * `feed` and `end` return the `event_too_large` error that ends the stream, if one event grew
 * past `maxEventBytes`; after that the decoder reports nothing more.
 */
export class SseDecoder {
  private readonly decoder = new TextDecoder();
  private readonly parser: EventSourceParser;
  private atStart = true;
  private last = 0;
  private endOfBody = false;
  private tooLarge: RxChatError | undefined;

  constructor(
    handlers: SseHandlers,
    private readonly maxEventBytes: number,
  ) {
    this.parser = createParser({
      maxBufferSize: maxEventBytes,
      onEvent: (event) => {
        if (this.tooLarge) return;
        // An empty data buffer dispatches nothing (WHATWG SSE, "dispatch the event", step 2).
        if (event.data === '') return;
        if (event.data.length > maxEventBytes) {
          this.tooLarge = this.overflow(event.data.length);
          return;
        }
        handlers.message(event.data, event.event, event.id, this.endOfBody);
      },
      onComment: (comment) => {
        if (!this.tooLarge) handlers.comment?.(comment);
      },
      onRetry: (retry) => {
        if (!this.tooLarge) handlers.retry?.(retry);
      },
      onError: (error) => {
        // Unknown fields and bad `retry:` values are ignored, as the SSE spec says.
        if (error.type === 'max-buffer-size-exceeded') this.tooLarge ??= this.overflow(undefined);
      },
    });
  }

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
    // A trailing CR was a complete line break that the parser held back in case an LF followed;
    // an LF now makes it a CRLF without adding a line.
    if (this.last === LAST_IS_CR || this.last === LAST_IS_OTHER) {
      const error = this.feedText('\n');
      if (error) return error;
    }
    // The blank line that never came: whatever it dispatches lacked it.
    this.endOfBody = true;
    const error = this.feedText('\n');
    this.parser.reset();
    return error;
  }

  private feedText(text: string): RxChatError | undefined {
    if (this.tooLarge) return this.tooLarge;
    if (text.length === 0) return undefined;
    if (this.atStart) {
      this.atStart = false;
      // TextDecoder drops a byte-order mark; a string source may still carry one.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.length === 0) return undefined;
    }
    const code = text.charCodeAt(text.length - 1);
    this.last = code === 13 ? LAST_IS_CR : code === 10 ? LAST_IS_LF : LAST_IS_OTHER;
    this.parser.feed(text);
    return this.tooLarge;
  }

  private overflow(size: number | undefined): RxChatError {
    return new RxChatError(
      'event_too_large',
      `A server-sent event exceeded maxEventBytes (${this.maxEventBytes})` +
        (size === undefined ? '' : `: ${size} characters`),
    );
  }
}
