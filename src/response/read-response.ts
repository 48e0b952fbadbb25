import { concat, map, mergeMap, Observable, of, timer, type SchedulerLike } from 'rxjs';
import { excerpt, RxChatError } from '../errors';
import type { ChatHttpResponse, ChatResponseEvent } from '../transport/types';
import { httpError, requestIdOf } from './http-error';
import { mediaType } from './media-type';
import { readText } from './read-text';
import { readSniffed } from './sniff';

/** How much of an error body is read before the rest is thrown away (characters). */
export const MAX_ERROR_BODY = 64 * 1024;

/** How long an error body may take to arrive before the error is made from what came. */
export const ERROR_BODY_WAIT = 5_000;

/**
 * What one wire protocol (chat completions, Responses) says about reading its bodies: how an
 * event stream becomes its events and how a whole JSON body does. Everything else about a
 * response (status, media type, sniffing, error bodies) is the same for every protocol.
 */
export interface WireProtocol<E> {
  /** The events of an event-stream body (read once, released when the protocol stops). */
  sse(body: Observable<Uint8Array | string>, options: ResponseOptions): Observable<E>;
  /** The events of a whole JSON body (a server that answered without streaming). */
  json(text: string): E[];
}

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
 * One attempt's events from one HTTP response, for any wire protocol: a `response` event, then
 * the protocol's events from an event stream (or from a plain JSON body). A non-2xx status fails with `http_error` once
 * its body (bounded in size and time) has been read. A 2xx body of another type (`text/plain`,
 * `application/octet-stream`, none) is read by its first bytes, as openai-node reads any body
 * as an event stream: SSE lines make it an event stream, a `{` a JSON completion; anything else
 * fails with `parse_error` (a body with no content type is read as an event stream).
 */
export function readResponse<E>(
  response: ChatHttpResponse,
  protocol: WireProtocol<E>,
  options: ResponseOptions,
): Observable<E | ChatResponseEvent> {
  const { status, headers } = response;
  const requestId = requestIdOf(headers) ?? null;
  const responseEvent: ChatResponseEvent = { type: 'response', status, headers, requestId };
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
    return startingWith<E | ChatResponseEvent>(responseEvent, protocol.sse(response.body, options));
  }
  if (type === 'application/json' || type.endsWith('+json')) {
    return concat(of(responseEvent), jsonEvents(response.body, protocol, options));
  }
  return startingWith<E | ChatResponseEvent>(
    responseEvent,
    readSniffed(response.body, (kind, body) => {
      // A missing content type stays lenient: the SSE reader fails clearly on anything else.
      if (kind === 'sse' || (kind === 'other' && type === '')) return protocol.sse(body, options);
      if (kind === 'json') return jsonEvents(body, protocol, options);
      return notAnEventStream(body, response, requestId, options);
    }),
  );
}

/** The events of a JSON body, read whole (bounded by `maxEventBytes`). */
function jsonEvents<E>(
  body: Observable<Uint8Array | string>,
  protocol: WireProtocol<E>,
  options: ResponseOptions,
): Observable<E> {
  return readText(body, options.maxEventBytes).pipe(
    mergeMap(({ text, cut }) => {
      if (cut) {
        throw new RxChatError(
          'event_too_large',
          `The JSON response is larger than maxEventBytes (${options.maxEventBytes})`,
        );
      }
      return protocol.json(text);
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

/**
 * `concat(of(first), rest)` for the hot path: `rest`'s events go straight to the subscriber
 * instead of through concat's inner subscriber, one layer less for every chunk.
 */
function startingWith<T>(first: T, rest: Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    subscriber.next(first);
    // A Subscriber passed to subscribe() is used as is; its teardown joins the subscriber's.
    if (!subscriber.closed) rest.subscribe(subscriber);
  });
}
