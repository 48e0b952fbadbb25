import { Observable, type OperatorFunction } from 'rxjs';
import { excerpt, RxChatError } from '../errors';
import type { SseEvent } from '../sse/decode-sse';
import { providerErrorFrom } from './provider-error';
import { reportedUsage } from './reported-usage';
import type { ChatCompletionChunk, ChatStreamEvent, Usage } from './types';
import { chunkProblem } from './validate';

/** Options of {@link parseChunks}. */
export interface ParseChunksOptions {
  /**
   * Fail with `truncated` whenever the body ends without `[DONE]`, even after a `finish_reason`.
   * Off by default, because some providers never send `[DONE]` (QUIRKS F3).
   */
  requireDone?: boolean;
}

const isDone = (data: string) =>
  data === '[DONE]' || (data.length < 16 && data.trim() === '[DONE]');

/**
 * Turns server-sent events into chat stream events: every chunk as received (validated
 * leniently), then exactly one `{ type: 'usage' }` event with the last usage the server reported
 * (top-level `usage`, else `x_groq.usage`; never summed; `null` if none), then completion.
 *
 * - `[DONE]` ends the stream and unsubscribes upstream, so the transport releases the socket.
 * - `event: error` frames and data objects with a top-level `error` fail with `stream_error`,
 *   carrying the provider's message, code, type and param.
 * - Data that is not JSON fails with `parse_error`; a field rxchat reads with an impossible type
 *   fails with `validation_error`. Unknown fields and harmless quirks pass.
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
      let usage: Usage | null = null;
      let finishSeen = false;
      let chunks = 0;
      let ended = false;

      const succeed = () => {
        ended = true;
        subscriber.next({ type: 'usage', usage });
        subscriber.complete();
      };
      const fail = (error: RxChatError) => {
        ended = true;
        subscriber.error(error);
      };
      const recordUsage = (chunk: ChatCompletionChunk) => {
        const reported = reportedUsage(chunk);
        if (reported) usage = reported;
      };

      const streamError = (value: unknown, data: string) => {
        const provider = providerErrorFrom(value, data);
        return new RxChatError(
          'stream_error',
          `The provider reported an error: ${provider.message}`,
          {
            provider,
            usage,
            data: excerpt(data),
          },
        );
      };

      // Returned as the teardown: when [DONE] completes us, RxJS unsubscribes it at once (even
      // when it was emitted synchronously during this very subscribe call).
      return source.subscribe({
        next(event) {
          if (ended || event.type !== 'message') return;
          const data = event.data;
          if (isDone(data)) return succeed();

          let value: unknown;
          try {
            value = JSON.parse(data);
          } catch (cause) {
            if (event.event === 'error') return fail(streamError(undefined, data));
            // The last event of a cut body: a fragment cut off mid-write is dropped.
            if (event.incomplete) return;
            return fail(
              new RxChatError(
                'parse_error',
                `Chunk ${chunks + 1} is not valid JSON: ${excerpt(data, 80)}`,
                {
                  cause,
                  usage,
                  data: excerpt(data),
                },
              ),
            );
          }

          if (event.event === 'error') return fail(streamError(value, data));
          if (
            typeof value === 'object' &&
            value !== null &&
            (value as { error?: unknown }).error != null
          ) {
            // An error object may still report usage (OpenRouter does): it was billed.
            const reported = value as ChatCompletionChunk;
            if (chunkProblem(reported) === undefined) recordUsage(reported);
            return fail(streamError(value, data));
          }

          const problem = chunkProblem(value);
          if (problem !== undefined) {
            return fail(
              new RxChatError(
                'validation_error',
                `Chunk ${chunks + 1} has an impossible shape: ${problem}`,
                {
                  usage,
                  data: excerpt(data),
                },
              ),
            );
          }

          const chunk = value as ChatCompletionChunk;
          chunks++;
          recordUsage(chunk);
          if (!finishSeen && chunk.choices) {
            for (const choice of chunk.choices) {
              if (choice.finish_reason) {
                finishSeen = true;
                break;
              }
            }
          }
          subscriber.next({ type: 'chunk', chunk });
        },
        error(error: unknown) {
          if (!ended) fail(error as RxChatError);
        },
        complete() {
          if (ended) return;
          if (finishSeen && !requireDone) return succeed();
          fail(
            new RxChatError(
              'truncated',
              finishSeen
                ? `The stream ended without [DONE] after ${chunks} chunks`
                : `The stream ended without [DONE] and without a finish_reason after ${chunks} chunks`,
              { usage },
            ),
          );
        },
      });
    });
}
