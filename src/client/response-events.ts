import { concat, map, mergeMap, Observable, of, timer, type SchedulerLike } from 'rxjs';
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

/**
 * One attempt's events from one HTTP response: a `response` event, then the chunks and usage of
 * an event stream (or of a plain JSON completion). A non-2xx status fails with `http_error` once
 * its body (bounded in size and time) has been read; a 2xx body of any other type fails with
 * `parse_error`.
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

  // A missing content type is read as an event stream: lenient, and the parser fails clearly on
  // anything that is not one.
  if (type === 'text/event-stream' || type === '') {
    return startingWith(responseEvent, sseChunks(response.body, options));
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    return concat(
      of(responseEvent),
      readText(response.body, options.maxEventBytes).pipe(
        mergeMap(({ text, cut }) => {
          if (cut) {
            throw new RxChatError(
              'event_too_large',
              `The JSON response is larger than maxEventBytes (${options.maxEventBytes})`,
            );
          }
          return eventsFromJsonCompletion(text);
        }),
      ),
    );
  }
  return readText(response.body, 1024, {
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
