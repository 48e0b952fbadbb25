import {
  catchError,
  connect,
  EMPTY,
  ignoreElements,
  last,
  map,
  merge,
  of,
  type Observable,
  type OperatorFunction,
} from 'rxjs';
import {
  accumulate,
  contentDeltas,
  reasoningDeltas,
  RxChatError,
  toolCalls,
  usage,
  type ChatCompletion,
  type ChatStreamEvent,
  type RxChatErrorJson,
  type ToolCall,
  type Usage,
} from '../node';
import type { ChatFormat } from './chat-command';

/** A line of `--format ndjson`: a stream event, or, last, the error the stream failed with. */
export type NdjsonEvent =
  ChatStreamEvent | { type: 'error'; error: RxChatErrorJson | { message: string } };

/** One thing `rxchat chat` shows, in the order it is to be shown. */
export type ChatView =
  | { type: 'reasoning'; text: string }
  | { type: 'answer'; text: string }
  | { type: 'tool-call'; call: ToolCall }
  | { type: 'completion'; completion: ChatCompletion }
  | { type: 'event'; event: NdjsonEvent }
  | { type: 'usage'; usage: Usage | null };

/**
 * What `rxchat chat` shows of a stream, made of the public operators: in `text`, the reasoning
 * and the answer as they arrive and each tool call once complete; in `json`, the final
 * completion (the partial one if the stream fails); in `ndjson`, every event (and the error,
 * last); in every format, the final usage. All the views share one subscription to the stream,
 * so one request feeds them. Fails as the stream fails, once every view has seen the failure.
 */
export function chatViews(format: ChatFormat): OperatorFunction<ChatStreamEvent, ChatView> {
  return connect((events) =>
    mergeViews(events, [
      ...formatViews(format, events),
      events.pipe(
        usage(),
        map((reported): ChatView => ({ type: 'usage', usage: reported })),
      ),
    ]),
  );
}

function formatViews(format: ChatFormat, events: Observable<ChatStreamEvent>) {
  switch (format) {
    case 'text':
      // Reasoning first: a chunk's reasoning is shown before its answer text.
      return [
        events.pipe(
          reasoningDeltas(),
          map((text): ChatView => ({ type: 'reasoning', text })),
        ),
        events.pipe(
          contentDeltas(),
          map((text): ChatView => ({ type: 'answer', text })),
        ),
        events.pipe(
          toolCalls(),
          map((call): ChatView => ({ type: 'tool-call', call })),
        ),
      ];
    case 'json':
      return [
        // The completion as far as it got: accumulate()'s last snapshot, however the stream
        // ended. (finalCompletion()'s partial would also take the usage of a failing error
        // frame, which the error line reports on its own.)
        events.pipe(
          accumulate(),
          catchError(() => EMPTY),
          last(null, NOTHING_ARRIVED),
          map((completion): ChatView => ({ type: 'completion', completion })),
        ),
      ];
    case 'ndjson':
      return [
        events.pipe(
          map((event): ChatView => ({ type: 'event', event })),
          catchError((error: unknown) => of<ChatView>({ type: 'event', event: errorEvent(error) })),
        ),
      ];
  }
}

/**
 * Merges the views of one stream so that each of them sees its end. A failure reaches every
 * view (so the text views give up a half emoji they held back, as `contentDeltas` promises),
 * ends each one quietly, and is passed on once, last. With a plain `merge`, the first view to
 * hear of it would fail the whole and cut the others off before they had their say.
 */
function mergeViews(
  events: Observable<ChatStreamEvent>,
  views: Observable<ChatView>[],
): Observable<ChatView> {
  return merge(
    ...views.map((view) => view.pipe(catchError(() => EMPTY))),
    events.pipe(ignoreElements()),
  );
}

/** The completion of a stream that failed before its first event. */
const NOTHING_ARRIVED: ChatCompletion = { id: '', model: '', created: 0, choices: [], usage: null };

function errorEvent(error: unknown): NdjsonEvent {
  return {
    type: 'error',
    error: RxChatError.isInstance(error) ? error.toJSON() : { message: String(error) },
  };
}
