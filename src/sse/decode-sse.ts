import { createParser } from 'eventsource-parser';
import { Observable, type OperatorFunction } from 'rxjs';
import { RxChatError } from '../errors';

/**
 * What {@link decodeSse} emits. `message` is a dispatched event; `comment` and `retry` are
 * surfaced so that liveness logic can see them, and know that they are not data (an idle
 * timeout must not be reset by keep-alive comments).
 */
export type SseEvent = SseMessage | SseComment | SseRetry;

/** A dispatched server-sent event. */
export interface SseMessage {
  type: 'message';
  /** The `event:` field; `undefined` when absent (the SSE default type `message`). */
  event: string | undefined;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The `id:` field, if the event had one. */
  id: string | undefined;
  /**
   * `true` for a last event whose closing blank line never came (the body ended first). Its data
   * may be a fragment cut off mid-write; {@link parseChunks} uses it only when it is complete.
   */
  incomplete?: true;
}

/** A comment line (`: keep-alive`), without the colon and one leading space. */
export interface SseComment {
  type: 'comment';
  comment: string;
}

/** A `retry:` field: the server's suggested reconnection delay in milliseconds. */
export interface SseRetry {
  type: 'retry';
  retry: number;
}

/** Options of {@link decodeSse}. */
export interface DecodeSseOptions {
  /**
   * The most one event (its unfinished lines plus its data) may buffer before the stream fails
   * with `event_too_large`, in UTF-16 code units of decoded text (bytes, for the ASCII JSON that
   * providers send). Default {@link DEFAULT_MAX_EVENT_BYTES}.
   */
  maxEventBytes?: number;
}

/** 4 MiB: far above any real chunk (even a whole tool call in one delta), far below trouble. */
export const DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024;

const LAST_IS_CR = 1;
const LAST_IS_LF = 2;
const LAST_IS_OTHER = 3;

/**
 * Decodes a body of server-sent events. Bytes go through one streaming `TextDecoder` per
 * subscription (so multi-byte characters split across pieces survive), framing is done by
 * eventsource-parser (LF, CR, CRLF even when split across pieces, comments, multi-line `data:`,
 * `event:`, `id:`, `retry:`), and a leading BOM is dropped. Work is synchronous per piece.
 *
 * When the body ends, a last line without its line break is still read, and a last event
 * without its closing blank line is emitted with `incomplete: true`.
 *
 * @example
 * ```ts
 * import { from } from 'rxjs';
 * import { decodeSse } from 'rxchat';
 *
 * from(['data: {"a":1}\n', '\ndata: [DONE]\n\n'])
 *   .pipe(decodeSse())
 *   .subscribe((e) => console.log(e));
 * // { type: 'message', event: undefined, data: '{"a":1}', id: undefined }
 * // { type: 'message', event: undefined, data: '[DONE]', id: undefined }
 * ```
 */
export function decodeSse(
  options: DecodeSseOptions = {},
): OperatorFunction<Uint8Array | string, SseEvent> {
  const maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
  if (!(maxEventBytes > 0)) throw new RangeError('decodeSse: maxEventBytes must be positive');

  return (source) =>
    new Observable<SseEvent>((subscriber) => {
      const decoder = new TextDecoder();
      let atStart = true;
      let last = 0;
      let endOfBody = false;
      let tooLarge: RxChatError | undefined;

      const overflow = (size: number | undefined) =>
        new RxChatError(
          'event_too_large',
          `A server-sent event exceeded maxEventBytes (${maxEventBytes})` +
            (size === undefined ? '' : `: ${size} characters`),
        );

      const parser = createParser({
        maxBufferSize: maxEventBytes,
        onEvent(event) {
          if (subscriber.closed || tooLarge) return;
          // An empty data buffer dispatches nothing (WHATWG SSE, "dispatch the event", step 2).
          if (event.data === '') return;
          if (event.data.length > maxEventBytes) {
            tooLarge = overflow(event.data.length);
            return;
          }
          subscriber.next(
            endOfBody
              ? {
                  type: 'message',
                  event: event.event,
                  data: event.data,
                  id: event.id,
                  incomplete: true,
                }
              : { type: 'message', event: event.event, data: event.data, id: event.id },
          );
        },
        onComment(comment) {
          if (!subscriber.closed && !tooLarge) subscriber.next({ type: 'comment', comment });
        },
        onRetry(retry) {
          if (!subscriber.closed && !tooLarge) subscriber.next({ type: 'retry', retry });
        },
        onError(error) {
          // Unknown fields and bad `retry:` values are ignored, as the SSE spec says.
          if (error.type === 'max-buffer-size-exceeded') tooLarge ??= overflow(undefined);
        },
      });

      /** Feeds decoded text; returns false once the stream has failed. */
      const feed = (text: string): boolean => {
        if (text.length === 0) return true;
        if (atStart) {
          atStart = false;
          // TextDecoder drops a byte-order mark; a string source may still carry one.
          if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          if (text.length === 0) return true;
        }
        const code = text.charCodeAt(text.length - 1);
        last = code === 13 ? LAST_IS_CR : code === 10 ? LAST_IS_LF : LAST_IS_OTHER;
        parser.feed(text);
        if (tooLarge) {
          subscriber.error(tooLarge);
          return false;
        }
        return true;
      };

      /** Reads what the body left unterminated: a last line, then a last event. */
      const flushEnd = (): boolean => {
        if (!feed(decoder.decode())) return false;
        // A trailing CR was a complete line break that the parser held back in case an LF
        // followed; an LF now makes it a CRLF without adding a line.
        if (last === LAST_IS_CR || last === LAST_IS_OTHER) {
          if (!feed('\n')) return false;
        }
        // The blank line that never came: whatever it dispatches lacked it.
        endOfBody = true;
        const ok = feed('\n');
        parser.reset();
        return ok;
      };

      return source.subscribe({
        next(piece) {
          if (subscriber.closed) return;
          feed(typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true }));
        },
        error(error: unknown) {
          if (subscriber.closed) return;
          // Keep what was received: a complete last event still goes out before the error.
          if (flushEnd()) subscriber.error(error);
        },
        complete() {
          if (subscriber.closed) return;
          if (flushEnd()) subscriber.complete();
        },
      });
    });
}
