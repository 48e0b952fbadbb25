import { Observable } from 'rxjs';
import { RxChatError } from '../errors';
import { Exchange, type TransportStart } from './exchange';
import type { ChatHttpRequest, ChatHttpResponse, ChatTransport } from './types';

/**
 * The response Observable of a {@link ChatTransport}, with the contract's rules built in, so a
 * transport only has to start its request and read its body. Every rxchat transport (undici,
 * fetch, Angular's HttpClient) is made with it; so can yours.
 *
 * - **Send once**: `start` runs on each subscription, never before. It calls `respond` or
 *   `fail` when the outcome is known (and may return a function that cancels the request), or
 *   returns a promise of the answer (`async ({ signal }) => ({ status, headers, body })`).
 * - **Answer once**: the first `respond` (or fulfilled promise) is emitted, then the Observable
 *   completes; a later answer's body is cancelled.
 * - **Body read once**: the emitted `body` can be subscribed to once, while the response is
 *   being delivered (as `switchMap` does). A body nobody claimed by then is released at once (the
 *   request is aborted), and subscribing to it later, or a second time, fails with a
 *   `connection_error`.
 * - **Abort on teardown**: unsubscribing before the response, or from the body before its end,
 *   aborts `exchange.signal`, calls the body's `cancel` and the function `start` returned.
 * - **Typed failures**: whatever `start` throws, rejects with or passes to `fail`, and whatever
 *   a `BodySource` fails with, reaches the subscriber as an `RxChatError`
 *   (`connection_error` unless it already is one). A body given as an Observable is passed on
 *   as it is, errors included.
 *
 * @example
 * ```ts
 * import { request as httpRequest } from 'node:http';
 * import { createChatClient, createTransportResponse, type ChatTransport } from 'rxchat';
 *
 * // A transport over node:http: start the request, answer with its status, headers and body.
 * const nodeHttpTransport: ChatTransport = (request) =>
 *   createTransportResponse(({ signal, respond, fail }) => {
 *     const req = httpRequest(request.url, { method: request.method, headers: request.headers, signal });
 *     req.on('error', fail);
 *     req.on('response', (res) =>
 *       respond({
 *         status: res.statusCode ?? 0,
 *         headers: res.headers,
 *         body: {
 *           open(sink) {
 *             res.on('data', (piece: Uint8Array) => sink.next(piece));
 *             res.on('end', () => sink.complete());
 *             res.on('error', (error) => sink.error(error));
 *           },
 *           cancel: () => res.destroy(),
 *         },
 *       }),
 *     );
 *     req.end(request.body);
 *   });
 *
 * const client = createChatClient({ baseURL: 'http://localhost:8080/v1', transport: nodeHttpTransport });
 * ```
 */
export function createTransportResponse(start: TransportStart): Observable<ChatHttpResponse> {
  return new Observable<ChatHttpResponse>((subscriber) => new Exchange(subscriber).run(start));
}

/**
 * Sends `request` through any {@link ChatTransport}, made with {@link createTransportResponse}
 * or not, held to the contract: what it throws or fails with before its response is an
 * `RxChatError`, only its first response counts, completing without one fails (not retryable),
 * and its body is passed on as it is. The client sends every attempt through here.
 */
export function callTransport(
  transport: ChatTransport,
  request: ChatHttpRequest,
): Observable<ChatHttpResponse> {
  return createTransportResponse(({ respond, fail }) => {
    const subscription = transport(request).subscribe({
      next: respond,
      error: fail,
      complete: () =>
        fail(
          new RxChatError(
            'connection_error',
            'The transport completed without a response (a ChatTransport must emit one)',
            { retryable: false },
          ),
        ),
    });
    return () => subscription.unsubscribe();
  });
}
