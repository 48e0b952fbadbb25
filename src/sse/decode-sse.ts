import { Observable, type OperatorFunction } from 'rxjs';
import { SseDecoder } from './sse-decoder';

/**
 * What {@link decodeSse} emits. `message` is a dispatched event; `comment` and `retry` are
 * surfaced so that liveness logic can see them, and know that they are not data (an idle
 * timeout must not be reset by keep-alive comments).
 */
export type SseEvent = SseMessage | SseComment | SseRetry;

/** A dispatched server-sent event. */
export interface SseMessage {
  /** The discriminant: a dispatched event. */
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
  /** The discriminant: a comment, which is never data. */
  type: 'comment';
  /** The comment's text (`'keep-alive'` for `: keep-alive`); may be empty. */
  comment: string;
}

/** A `retry:` field: the server's suggested reconnection delay in milliseconds. */
export interface SseRetry {
  /** The discriminant: a reconnection hint, which is never data. */
  type: 'retry';
  /** The delay, in milliseconds (a non-negative integer: other values are ignored, per WHATWG). */
  retry: number;
}

/** Options of {@link decodeSse}. */
export interface DecodeSseOptions {
  /**
   * The longest one line (a comment or any field, without its line break) and the longest one
   * event's data may be before the stream fails with `event_too_large`, in UTF-16 code units of
   * decoded text (bytes, for the ASCII JSON that providers send). How the network cuts the body
   * never changes the verdict. Default {@link DEFAULT_MAX_EVENT_BYTES}.
   */
  maxEventBytes?: number;
}

/** 4 MiB: far above any real chunk (even a whole tool call in one delta), far below trouble. */
export const DEFAULT_MAX_EVENT_BYTES = 4 * 1024 * 1024;

/**
 * Decodes a body of server-sent events, by the WHATWG rules. Bytes go through one streaming
 * `TextDecoder` per subscription (so multi-byte characters split across pieces survive); lines
 * end with LF, CR or CRLF (a CR ending a piece ends its line at once, and a LF starting the next
 * piece joins it); comments, multi-line `data:`, `event:`, `id:` and `retry:` are read; one
 * leading BOM is dropped. An event is dispatched when it has a `data` field, even an empty one
 * (data `""`); a block with no `data` field (`event: ping` alone) dispatches nothing. Work is
 * synchronous per piece, and the events do not depend on how the body was cut.
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
      const decoder = new SseDecoder(
        {
          message(data, event, id, incomplete) {
            if (subscriber.closed) return;
            subscriber.next(
              incomplete
                ? { type: 'message', event, data, id, incomplete: true }
                : { type: 'message', event, data, id },
            );
          },
          comment(comment) {
            if (!subscriber.closed) subscriber.next({ type: 'comment', comment });
          },
          retry(retry) {
            if (!subscriber.closed) subscriber.next({ type: 'retry', retry });
          },
        },
        maxEventBytes,
      );

      return source.subscribe({
        next(piece) {
          if (subscriber.closed) return;
          const tooLarge = decoder.feed(piece);
          if (tooLarge) subscriber.error(tooLarge);
        },
        error(error: unknown) {
          if (subscriber.closed) return;
          // Keep what was received: a complete last event still goes out before the error.
          subscriber.error(decoder.end() ?? error);
        },
        complete() {
          if (subscriber.closed) return;
          const tooLarge = decoder.end();
          if (tooLarge) subscriber.error(tooLarge);
          else subscriber.complete();
        },
      });
    });
}
