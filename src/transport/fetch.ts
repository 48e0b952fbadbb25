import { Observable } from 'rxjs';
import { connectionError } from '../errors';
import { afterIo, oneShotBody } from './body';
import { headerRecord } from './headers';
import type { ChatHttpRequest, ChatHttpResponse, ChatTransport } from './types';

/** Options of {@link fetchTransport}. */
export interface FetchTransportOptions {
  /**
   * The `fetch` to call; default `globalThis.fetch`, looked up on each request so that a polyfill
   * installed later still counts.
   */
  fetch?: typeof fetch;
  /** Extra `RequestInit` fields (for example `credentials`, `mode`, `cache`, `keepalive`). */
  init?: Omit<RequestInit, 'method' | 'headers' | 'body' | 'signal'>;
}

/**
 * A {@link ChatTransport} over WHATWG `fetch`, for browsers, Deno, Bun, workers and Node. Like
 * RxJS's `fromFetch`, each subscription gets its own `AbortController`: unsubscribing aborts the
 * request, or cancels the body once it streams.
 *
 * @example
 * ```ts
 * import { createChatClient, fetchTransport } from 'rxchat';
 *
 * const client = createChatClient({ baseURL: '/api/v1', transport: fetchTransport() });
 * ```
 */
export function fetchTransport(options: FetchTransportOptions = {}): ChatTransport {
  return (request: ChatHttpRequest) =>
    new Observable<ChatHttpResponse>((subscriber) => {
      const doFetch = options.fetch ?? globalThis.fetch;
      const controller = new AbortController();
      let delivered = false;
      let settle: (() => void) | undefined;

      doFetch(request.url, {
        ...options.init,
        method: request.method,
        headers: { ...request.headers },
        body: request.body,
        signal: controller.signal,
      }).then(
        (response) => {
          if (subscriber.closed) {
            // Too late: a custom fetch may not honour the signal, so cancel the body too.
            response.body?.cancel().catch(() => undefined);
            return;
          }
          const stream = response.body;
          const reader = stream?.getReader();
          const discard = () => {
            controller.abort();
            reader?.cancel().catch(() => undefined);
          };
          const body = oneShotBody({
            open(bodySubscriber) {
              if (!reader) {
                bodySubscriber.complete();
                return () => undefined;
              }
              let finished = false;
              const pump = (): void => {
                reader.read().then(
                  ({ done, value }) => {
                    if (done) {
                      finished = true;
                      bodySubscriber.complete();
                      return;
                    }
                    if (bodySubscriber.closed) return;
                    bodySubscriber.next(value);
                    if (!bodySubscriber.closed) pump();
                  },
                  (error: unknown) => {
                    finished = true;
                    if (!bodySubscriber.closed) {
                      bodySubscriber.error(connectionError(error, 'The response body broke off'));
                    }
                  },
                );
              };
              pump();
              return () => {
                // A reader already at its end lets the connection be reused; give an end that
                // is already on the wire one turn to arrive before closing.
                if (!finished) afterIo(() => finished || discard());
              };
            },
            release: discard,
          });
          delivered = true;
          settle = body.settle;
          subscriber.next({
            status: response.status,
            headers: headerRecord(response.headers),
            body: body.body,
          });
          subscriber.complete();
        },
        (error: unknown) => {
          if (!subscriber.closed) subscriber.error(connectionError(error));
        },
      );

      return () => {
        if (delivered) settle?.();
        else controller.abort();
      };
    });
}
