import {
  catchError,
  connect,
  EMPTY,
  ignoreElements,
  last,
  map,
  merge,
  mergeMap,
  of,
  throwError,
  type Observable,
  type OperatorFunction,
} from 'rxjs';
import {
  accumulate,
  contentDeltas,
  reasoningDeltas,
  RxChatError,
  structuredOutput,
  toolCalls,
  usage,
  type ChatCompletion,
  type ChatStreamEvent,
  type RxChatErrorJson,
  type ToolCall,
  type Usage,
} from '../node';
import type { ChatFormat } from './chat-command';

/**
 * What `rxchat chat` shows: a `--format`, or `object`, the answer as the JSON object
 * `--json-schema` asked for (with `--format text`).
 */
export type ChatMode = ChatFormat | 'object';

/** A line of `--format ndjson`: a stream event, or, last, the error the stream failed with. */
export type NdjsonEvent =
  ChatStreamEvent | { type: 'error'; error: RxChatErrorJson | { message: string } };

/**
 * What `--format json` prints when the stream fails, in the shape of a failed
 * `rxchat inspect --jsonl` line (without `file`): `completion` is what had arrived (with the
 * usage the server reported before failing), or `null` when nothing had.
 */
export interface FailedCompletion {
  ok: false;
  completion: ChatCompletion | null;
  error: { code: string; message: string };
}

/** One thing `rxchat chat` shows, in the order it is to be shown. */
export type ChatView =
  | { type: 'reasoning'; text: string }
  | { type: 'answer'; text: string }
  | { type: 'tool-call'; call: ToolCall }
  /** The answer's JSON so far (`final: false`), then the whole of it, parsed. */
  | { type: 'object'; value: unknown; final: boolean }
  | { type: 'completion'; completion: ChatCompletion }
  | { type: 'failed-completion'; failed: FailedCompletion }
  | { type: 'event'; event: NdjsonEvent }
  | { type: 'finish'; index: number; reason: string }
  | { type: 'usage'; usage: Usage | null };

/**
 * What `rxchat chat` shows of a stream, made of the public operators: in `text`, the reasoning
 * and the answer as they arrive and each tool call once complete; in `json`, the final
 * completion (or, if the stream fails, a {@link FailedCompletion}); in `ndjson`, every event
 * (and the error, last); in every format, each finish reason as it arrives (the last one of
 * a choice is its own) and the final usage. All the views share one subscription to the stream, so one
 * request feeds them. Fails as the stream fails, once every view has seen the failure.
 */
export function chatViews(mode: ChatMode): OperatorFunction<ChatStreamEvent, ChatView> {
  return connect((events) =>
    mergeViews(
      events,
      [
        ...formatViews(mode, events),
        events.pipe(mergeMap(finishViews)),
        events.pipe(
          usage(),
          map((reported): ChatView => ({ type: 'usage', usage: reported })),
        ),
      ],
      mode === 'object' ? objectView(events) : undefined,
    ),
  );
}

function formatViews(mode: ChatMode, events: Observable<ChatStreamEvent>) {
  switch (mode) {
    case 'object':
      // The object itself is the decisive view (objectView); reasoning and tool calls as in text.
      return [
        events.pipe(
          reasoningDeltas(),
          map((text): ChatView => ({ type: 'reasoning', text })),
        ),
        events.pipe(
          toolCalls(),
          map((call): ChatView => ({ type: 'tool-call', call })),
        ),
      ];
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
        events.pipe(
          accumulate(),
          last(null, NOTHING_ARRIVED),
          map((completion): ChatView => ({ type: 'completion', completion })),
          // The error carries what had arrived (accumulate() gives it), as `rxchat inspect`
          // reports it: the usage of a failing error frame included.
          catchError((error: unknown) =>
            of<ChatView>({ type: 'failed-completion', failed: failedCompletion(error) }),
          ),
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
 * The finish reasons an event tells: a chat chunk's, per choice; a Responses stream's terminal
 * event's, for its one answer (choice 0). Only the reasons that cut an answer matter to the
 * printer, so `response.completed` (`stop` or `tool_calls`) says nothing here.
 */
function finishViews(event: ChatStreamEvent): ChatView[] {
  if (event.type === 'responses') {
    const reason = event.event.response?.incomplete_details?.reason;
    if (event.event.type !== 'response.incomplete' || typeof reason !== 'string') return [];
    return [{ type: 'finish', index: 0, reason: INCOMPLETE_REASONS.get(reason) ?? reason }];
  }
  if (event.type !== 'chunk') return [];
  return (event.chunk.choices ?? []).flatMap((choice): ChatView[] =>
    typeof choice.finish_reason === 'string' && choice.finish_reason !== ''
      ? [
          {
            type: 'finish',
            index: typeof choice.index === 'number' ? choice.index : 0,
            reason: choice.finish_reason,
          },
        ]
      : [],
  );
}

/**
 * `incomplete_details.reason` under its chat name, as `finalCompletion()` names it, so the cut
 * line reads the same for both APIs.
 */
const INCOMPLETE_REASONS: ReadonlyMap<string, string> = new Map([
  ['max_output_tokens', 'length'],
  ['max_tokens', 'length'],
  ['content_filter', 'content_filter'],
]);

/**
 * A Standard Schema that takes any value: `--json-schema` checks the answer as JSON only (rxchat
 * has no JSON Schema validator; a server's strict mode enforces the schema).
 */
const ANY_JSON = {
  '~standard': { version: 1, vendor: 'rxchat-cli', validate: (value: unknown) => ({ value }) },
} as const;

/**
 * `--json-schema`: the answer parsed as JSON while it streams (`final: false`), then the whole
 * value. Fails as the stream fails, or with `parse_error` (not JSON), `truncated` (cut at the
 * token limit), except when the answer called tools and wrote no text: there is no object then,
 * and the calls were printed.
 */
function objectView(events: Observable<ChatStreamEvent>): Observable<ChatView> {
  return events.pipe(
    structuredOutput(ANY_JSON),
    connect((values) =>
      merge(
        values.pipe(map((value): ChatView => ({ type: 'object', value, final: false }))),
        values.pipe(
          last(),
          map((value): ChatView => ({ type: 'object', value, final: true })),
        ),
      ),
    ),
    catchError((error: unknown) => (calledToolsOnly(error) ? EMPTY : throwError(() => error))),
  );
}

/** Whether a failed answer is tool calls without any text (so not an unfinished object). */
function calledToolsOnly(error: unknown): boolean {
  if (!RxChatError.isInstance(error) || error.code !== 'parse_error') return false;
  const message = error.partial?.choices[0]?.message;
  return !!message?.tool_calls?.length && !message.content;
}

/**
 * Merges the views of one stream so that each of them sees its end. A failure reaches every
 * view (so the text views give up a half emoji they held back, as `contentDeltas` promises),
 * ends each one quietly, and is passed on once, last. A `decisive` view (the object of
 * `--json-schema`) is subscribed last and fails the whole with its own failures too (an answer
 * that is not JSON), as well as the stream's. With a plain `merge`, the first view to
 * hear of it would fail the whole and cut the others off before they had their say.
 */
function mergeViews(
  events: Observable<ChatStreamEvent>,
  views: Observable<ChatView>[],
  decisive?: Observable<ChatView>,
): Observable<ChatView> {
  return merge(
    ...views.map((view) => view.pipe(catchError(() => EMPTY))),
    decisive ?? events.pipe(ignoreElements()),
  );
}

/** The completion of a stream that ended without any event (not seen in practice). */
const NOTHING_ARRIVED: ChatCompletion = { id: '', model: '', created: 0, choices: [], usage: null };

function failedCompletion(error: unknown): FailedCompletion {
  if (!RxChatError.isInstance(error)) {
    return {
      ok: false,
      completion: null,
      error: {
        code: 'internal_error',
        message: error instanceof Error ? error.message : String(error),
      },
    };
  }
  const partial = error.partial;
  // Nothing arrived (a 401, a refused connection): no completion, rather than an empty one.
  const arrived = partial && (partial.id !== '' || partial.choices.length > 0 || partial.usage);
  return {
    ok: false,
    completion: arrived ? partial : null,
    error: { code: error.code, message: error.message },
  };
}

function errorEvent(error: unknown): NdjsonEvent {
  return {
    type: 'error',
    error: RxChatError.isInstance(error) ? error.toJSON() : { message: String(error) },
  };
}
