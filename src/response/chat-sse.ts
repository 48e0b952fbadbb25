import { Observable, type Subscriber } from 'rxjs';
import { ChunkReader } from '../chunks/chunk-reader';
import type { ChatStreamEvent } from '../chunks/types';
import { SseDecoder } from '../sse/sse-decoder';

/**
 * What turns the data of server-sent events into one protocol's events: chat's `ChunkReader`,
 * the Responses API's `ResponseEventReader`. After it has ended it ignores everything.
 */
export interface EventDataReader {
  /** Whether the stream has ended; nothing more is read. */
  readonly ended: boolean;
  /** One dispatched event: its data, its `event:` type, and whether the body cut it short. */
  message(data: string, event: string | undefined, incomplete: boolean): void;
  /** The body ended. */
  end(): void;
  /** The body failed (or an event was too large). */
  fail(error: unknown): void;
}

/**
 * `body.pipe(decodeSse(options), <the protocol's parser>)`, fused for the client: the same two
 * engines, but each event's data goes from the SSE parser straight to the protocol's reader,
 * with no event object and no subscriber in between. Every chunk of every stream passes through
 * here. (The public operators stay the way to build a pipeline of your own.)
 */
export function sseEventsWith(
  body: Observable<Uint8Array | string>,
  maxEventBytes: number,
  readerFor: (subscriber: Subscriber<ChatStreamEvent>) => EventDataReader,
): Observable<ChatStreamEvent> {
  return new Observable<ChatStreamEvent>((subscriber) => {
    const reader = readerFor(subscriber);
    const decoder = new SseDecoder(
      {
        // Once the consumer has gone (take, Stop), the rest of the piece is not worth parsing.
        message: (data, event, _id, incomplete) => {
          if (!subscriber.closed) reader.message(data, event, incomplete);
        },
      },
      maxEventBytes,
    );
    return body.subscribe({
      next(piece) {
        if (reader.ended) return;
        const tooLarge = decoder.feed(piece);
        if (tooLarge) reader.fail(tooLarge);
      },
      error(error: unknown) {
        if (reader.ended) return;
        // Keep what was received: a complete last event still counts before the error.
        const tooLarge = decoder.end();
        reader.fail(tooLarge ?? error);
      },
      complete() {
        if (reader.ended) return;
        const tooLarge = decoder.end();
        if (tooLarge) reader.fail(tooLarge);
        else reader.end();
      },
    });
  });
}

/** `body.pipe(decodeSse(options), parseChunks(options))`, fused (see {@link sseEventsWith}). */
export function sseChunks(
  body: Observable<Uint8Array | string>,
  options: { maxEventBytes: number; requireDone: boolean },
): Observable<ChatStreamEvent> {
  return sseEventsWith(
    body,
    options.maxEventBytes,
    (subscriber) => new ChunkReader(subscriber, options.requireDone),
  );
}
