import { Observable } from 'rxjs';
import { ChunkReader } from '../chunks/chunk-reader';
import type { ChatStreamEvent } from '../chunks/types';
import { SseDecoder } from '../sse/sse-decoder';

/**
 * `body.pipe(decodeSse(options), parseChunks(options))`, fused for the client: the same two
 * engines, but each event's data goes from the SSE parser straight to the chunk reader, with no
 * event object and no subscriber in between. Every chunk of every stream passes through here.
 * (The two public operators stay the way to build a pipeline of your own.)
 */
export function sseChunks(
  body: Observable<Uint8Array | string>,
  options: { maxEventBytes: number; requireDone: boolean },
): Observable<ChatStreamEvent> {
  return new Observable<ChatStreamEvent>((subscriber) => {
    const reader = new ChunkReader(subscriber, options.requireDone);
    const decoder = new SseDecoder(
      {
        // Once the consumer has gone (take, Stop), the rest of the piece is not worth parsing.
        message: (data, event, _id, incomplete) => {
          if (!subscriber.closed) reader.message(data, event, incomplete);
        },
      },
      options.maxEventBytes,
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
