import { Observable, type OperatorFunction } from 'rxjs';
import type { SseEvent } from '../sse/decode-sse';
import { ChunkReader } from './chunk-reader';
import type { ChatStreamEvent } from './types';

/** Options of {@link parseChunks}. */
export interface ParseChunksOptions {
  /**
   * Fail with `truncated` whenever the body ends without `[DONE]`, even after a `finish_reason`.
   * Off by default, because some providers never send `[DONE]` (QUIRKS F3).
   */
  requireDone?: boolean;
}

/**
 * Turns server-sent events into chat stream events: every chunk as received (validated
 * leniently), then exactly one `{ type: 'usage' }` event with the last usage the server reported
 * (top-level `usage`, else `x_groq.usage`; never summed; `null` if none), then completion.
 *
 * - `[DONE]` ends the stream and unsubscribes upstream, so the transport releases the socket.
 * - `event: error` frames and data objects with a top-level `error` fail with `stream_error`,
 *   carrying the provider's message, code, type and param.
 * - Data that is not JSON fails with `parse_error`; a field rxchat reads with an impossible type
 *   fails with `validation_error`. Unknown fields and harmless quirks pass, and an event whose
 *   data is empty (`data:` alone) is skipped.
 * - A body that ends without `[DONE]` is fine if some choice has a `finish_reason`; otherwise it
 *   fails with `truncated`: a cut connection never looks like success.
 *
 * @example
 * ```ts
 * import { decodeSse, parseChunks, contentDeltas } from 'rxchat';
 *
 * body$.pipe(decodeSse(), parseChunks(), contentDeltas()).subscribe((text) => process.stdout.write(text));
 * ```
 */
export function parseChunks(
  options: ParseChunksOptions = {},
): OperatorFunction<SseEvent, ChatStreamEvent> {
  const requireDone = options.requireDone ?? false;

  return (source) =>
    new Observable<ChatStreamEvent>((subscriber) => {
      const reader = new ChunkReader(subscriber, requireDone);
      // Returned as the teardown: when [DONE] completes us, RxJS unsubscribes it at once (even
      // when it was emitted synchronously during this very subscribe call).
      return source.subscribe({
        next(event) {
          if (event.type === 'message') {
            reader.message(event.data, event.event, event.incomplete === true);
          }
        },
        error: (error: unknown) => reader.fail(error),
        complete: () => reader.end(),
      });
    });
}
