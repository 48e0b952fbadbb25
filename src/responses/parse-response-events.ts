import { Observable, type OperatorFunction } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import type { SseEvent } from '../sse/decode-sse';
import { ResponseEventReader } from './event-reader';

/**
 * Turns the server-sent events of a Responses API stream (`POST /v1/responses`) into rxchat
 * events: every event as received (validated leniently) as `{ type: 'responses', event }`, then
 * exactly one `{ type: 'usage' }` event with the terminal event's usage under the chat names
 * (`prompt_tokens` = input, `completion_tokens` = output; the Responses names kept beside them),
 * then completion. The same operators read it as a chat stream: `contentDeltas`,
 * `reasoningDeltas`, `toolCalls`, `usage`, `accumulate`, `finalCompletion`.
 *
 * - `response.completed` or `response.incomplete` ends the stream and unsubscribes upstream (a
 *   `data: [DONE]` some servers add after it is never waited for).
 * - `response.failed` fails with `stream_error` carrying the provider's code and message (those
 *   of an `error` event just before it, when one came) and the usage; an `error` event and then
 *   the end of the body fails the same way.
 * - `[DONE]` or the end of the body before a terminal event fails with `truncated`: a cut
 *   connection never looks like success.
 * - Data that is not JSON fails with `parse_error`, and so do Chat Completions chunks (a server
 *   that speaks only Chat); a field rxchat reads with an impossible type fails with
 *   `validation_error`. Unknown event types and fields pass through.
 *
 * @example
 * ```ts
 * import { decodeSse, parseResponseEvents, contentDeltas } from 'rxchat';
 *
 * body$.pipe(decodeSse(), parseResponseEvents(), contentDeltas()).subscribe((text) => process.stdout.write(text));
 * ```
 */
export function parseResponseEvents(): OperatorFunction<SseEvent, ChatStreamEvent> {
  return (source) =>
    new Observable<ChatStreamEvent>((subscriber) => {
      const reader = new ResponseEventReader(subscriber);
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
