import { Observable } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { callTransport } from '../transport/transport-response';
import type { ChatHttpRequest, ChatHttpResponse, ChatTransport } from '../transport/types';
import type { PieceClock } from './piece-clock';
import { chatResponseEvents } from '../response/chat';
import type { ResponseOptions } from '../response/read-response';

/**
 * One attempt: sends `request` through `transport` and turns its one response into chat events
 * ({@link chatResponseEvents}). Transport failures become `connection_error`s. With a `clock`, the
 * body's pieces are stamped for the idle timeout; `showHeaders` redacts the response's headers
 * before anything shows them.
 *
 * Written by hand rather than as `switchMap`: every chunk of a stream passes through here, and
 * this way the response's events go straight to the subscriber instead of crossing a layer. (The client redacts secrets from errors
 * after this, before retry's `shouldRetry` and at the end.)
 */
export function attemptEvents(
  transport: ChatTransport,
  request: ChatHttpRequest,
  options: ResponseOptions,
  clock?: PieceClock,
  showHeaders: (
    headers: Readonly<Record<string, string>>,
  ) => Readonly<Record<string, string>> = identity,
  read: ResponseReader = chatResponseEvents,
): Observable<ChatStreamEvent> {
  return new Observable<ChatStreamEvent>((subscriber) =>
    // callTransport holds any transport to the contract: failures as RxChatErrors, its first
    // response only, completing without one is an error.
    callTransport(transport, request).subscribe({
      next(response) {
        // A Subscriber passed to subscribe() is used as is: no extra layer per chunk, and the
        // events' teardown (which closes the body) joins the subscriber's.
        const body = clock ? clock.stamp(response.body) : response.body;
        // Read field by field: a transport may answer with a class instance (getters).
        // Headers go on in `response` events and `http_error`s: secrets removed first.
        const { status } = response;
        const headers = showHeaders(response.headers);
        read({ status, headers, body }, options).subscribe(subscriber);
      },
      error: (error: unknown) => subscriber.error(error),
    }),
  );
}

const identity = <T>(value: T): T => value;

/** How one wire protocol reads one HTTP response into events (chat's or the Responses API's). */
export type ResponseReader = (
  response: ChatHttpResponse,
  options: ResponseOptions,
) => Observable<ChatStreamEvent>;
