import {
  concat,
  map,
  mergeMap,
  Observable,
  of,
  Subscription,
  timer,
  type SchedulerLike,
  type Subscriber,
} from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { excerpt, RxChatError } from '../errors';
import { mediaType } from '../transport/headers';
import type { ChatHttpResponse } from '../transport/types';
import { httpError, requestIdOf } from './http-error';
import { eventsFromJsonCompletion } from './json-completion';
import { readText } from './read-text';
import { sseChunks } from './sse-chunks';

/** How much of an error body is read before the rest is thrown away (characters). */
export const MAX_ERROR_BODY = 64 * 1024;

/** How long an error body may take to arrive before the error is made from what came. */
export const ERROR_BODY_WAIT = 5_000;

/** Pipeline settings the client passes down. */
export interface ResponseOptions {
  maxEventBytes: number;
  requireDone: boolean;
  /** Times the wait for an error body (the timeout scheduler, so marble tests drive it). */
  scheduler: SchedulerLike;
  /** How long an error body may take: {@link ERROR_BODY_WAIT}, or the idle limit if shorter. */
  errorBodyWait: number;
}

/** How many characters of a body's start may be looked at to tell what it is. */
const SNIFF_LIMIT = 1024;

/**
 * One attempt's events from one HTTP response: a `response` event, then the chunks and usage of
 * an event stream (or of a plain JSON completion). A non-2xx status fails with `http_error` once
 * its body (bounded in size and time) has been read. A 2xx body of another type (`text/plain`,
 * `application/octet-stream`, none) is read by its first bytes, as openai-node reads any body
 * as an event stream: SSE lines make it an event stream, a `{` a JSON completion; anything else
 * fails with `parse_error` (a body with no content type is read as an event stream).
 */
export function responseEvents(
  response: ChatHttpResponse,
  options: ResponseOptions,
): Observable<ChatStreamEvent> {
  const { status, headers } = response;
  const requestId = requestIdOf(headers) ?? null;
  const responseEvent: ChatStreamEvent = { type: 'response', status, headers, requestId };
  if (status < 200 || status > 299) {
    // The status decides: a body that stalls or breaks off only shortens the explanation.
    const explanation = readText(response.body, MAX_ERROR_BODY, {
      until: timer(options.errorBodyWait, options.scheduler),
      keepOnError: true,
    });
    return concat(
      of(responseEvent),
      explanation.pipe(
        map((text) => {
          throw httpError(status, headers, text);
        }),
      ),
    );
  }
  const type = mediaType(headers['content-type']);
  if (type === 'text/event-stream') {
    return startingWith(responseEvent, sseChunks(response.body, options));
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    return concat(of(responseEvent), jsonEvents(response.body, options));
  }
  return startingWith(
    responseEvent,
    readSniffed(response.body, (kind, body) => {
      // A missing content type stays lenient: the SSE reader fails clearly on anything else.
      if (kind === 'sse' || (kind === 'other' && type === '')) return sseChunks(body, options);
      if (kind === 'json') return jsonEvents(body, options);
      return notAnEventStream(body, response, requestId, options);
    }),
  );
}

/** The events of a JSON completion body, read whole (bounded by `maxEventBytes`). */
function jsonEvents(
  body: Observable<Uint8Array | string>,
  options: ResponseOptions,
): Observable<ChatStreamEvent> {
  return readText(body, options.maxEventBytes).pipe(
    mergeMap(({ text, cut }) => {
      if (cut) {
        throw new RxChatError(
          'event_too_large',
          `The JSON response is larger than maxEventBytes (${options.maxEventBytes})`,
        );
      }
      return eventsFromJsonCompletion(text);
    }),
  );
}

/** The `parse_error` for a 2xx body that is neither an event stream nor JSON, with its start. */
function notAnEventStream(
  body: Observable<Uint8Array | string>,
  { status, headers }: ChatHttpResponse,
  requestId: string | null,
  options: ResponseOptions,
): Observable<never> {
  return readText(body, 1024, {
    until: timer(options.errorBodyWait, options.scheduler),
    keepOnError: true,
  }).pipe(
    map(({ text }) => {
      throw new RxChatError(
        'parse_error',
        `Expected an event stream but the server answered ${status} with content type "${headers['content-type']}"` +
          (text.trim() ? `: ${excerpt(text.trim().replace(/\s+/g, ' '), 200)}` : ''),
        { data: excerpt(text), requestId: requestId ?? undefined, retryable: false },
      );
    }),
  );
}

/** What a body is, judged from its start. */
type BodyKind = 'sse' | 'json' | 'other';

const SSE_FIELDS = ['data:', 'event:', 'id:', 'retry:'];

/**
 * What the start of a body says it is: `sse` for an SSE line (`data:`, `event:`, `id:`,
 * `retry:` or a `:` comment), `json` for a `{`, `other` for anything else; `undefined` while it
 * cannot tell yet (only a BOM and whitespace so far, or part of a field name) and the body goes
 * on. A BOM and blank lines or other whitespace before it are allowed.
 */
function sniffBodyKind(start: string, ended: boolean): BodyKind | undefined {
  let i = start.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < start.length && /\s/.test(start[i]!)) i++;
  if (i === start.length) return ended ? 'other' : undefined;
  const first = start[i];
  if (first === ':') return 'sse';
  if (first === '{') return 'json';
  const head = start.slice(i, i + 6);
  let maybe = false;
  for (const field of SSE_FIELDS) {
    if (head.startsWith(field)) return 'sse';
    if (field.startsWith(head)) maybe = true;
  }
  return maybe && !ended ? undefined : 'other';
}

type Piece = Uint8Array | string;

/**
 * Reads a single-use body once and lets `choose` pick its reader by its start: pieces are held
 * until {@link sniffBodyKind} can tell (at most {@link SNIFF_LIMIT} characters, then `other`),
 * and the chosen reader gets the whole body from that one subscription, the held pieces first
 * and the rest as they arrive. When the reader stops (`[DONE]`), the body is released. A body
 * that fails before its start said anything fails with its own error.
 */
function readSniffed<T>(
  body: Observable<Piece>,
  choose: (kind: BodyKind, body: Observable<Piece>) => Observable<T>,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const source = new Subscription();
    const held: Piece[] = [];
    const decoder = new TextDecoder();
    let start = '';
    let chosen = false;
    let ended: { error: unknown } | 'complete' | undefined;
    let reader: Subscriber<Piece> | undefined;

    const whole = new Observable<Piece>((tail) => {
      // Added first: a reader that stops while the held pieces replay ([DONE]) releases the body.
      tail.add(() => {
        reader = undefined;
        source.unsubscribe();
      });
      for (const piece of held.splice(0)) {
        if (tail.closed) return;
        tail.next(piece);
      }
      if (ended === 'complete') tail.complete();
      else if (ended) tail.error(ended.error);
      else reader = tail;
    });
    // Only the first SNIFF_LIMIT characters count, so the verdict never depends on the cuts.
    const judge = (ended: boolean) =>
      start.length < SNIFF_LIMIT
        ? sniffBodyKind(start, ended)
        : sniffBodyKind(start.slice(0, SNIFF_LIMIT), true);
    const decide = (kind: BodyKind | undefined) => {
      if (kind === undefined) return;
      chosen = true;
      start = '';
      // The chosen reader subscribes to `whole` at once, and to it only.
      choose(kind, whole).subscribe(subscriber);
    };

    source.add(
      body.subscribe({
        next(piece) {
          if (reader) return reader.next(piece);
          // Empty pieces are not held: only what may be looked at counts toward the bound.
          if (source.closed || piece.length === 0) return;
          held.push(piece);
          if (chosen) return;
          start += typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true });
          decide(judge(false));
        },
        error(error: unknown) {
          if (reader) return reader.error(error);
          ended = { error };
          if (chosen) return;
          // Nothing said what the body was: the break is the story (a retryable one, often).
          if (start.trim() === '') subscriber.error(error);
          else decide(judge(true));
        },
        complete() {
          if (reader) return reader.complete();
          ended = 'complete';
          if (!chosen) decide(judge(true));
        },
      }),
    );
    return source;
  });
}

/**
 * `concat(of(first), rest)` for the hot path: `rest`'s events go straight to the subscriber
 * instead of through concat's inner subscriber, one layer less for every chunk.
 */
function startingWith(
  first: ChatStreamEvent,
  rest: Observable<ChatStreamEvent>,
): Observable<ChatStreamEvent> {
  return new Observable<ChatStreamEvent>((subscriber) => {
    subscriber.next(first);
    // A Subscriber passed to subscribe() is used as is; its teardown joins the subscriber's.
    if (!subscriber.closed) rest.subscribe(subscriber);
  });
}
