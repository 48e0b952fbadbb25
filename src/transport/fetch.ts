import type { BodySource } from './exchange';
import { createTransportResponse } from './transport-response';
import type { ChatHttpRequest, ChatTransport } from './types';

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
    createTransportResponse(async ({ signal }) => {
      const doFetch = options.fetch ?? globalThis.fetch;
      const response = await doFetch(request.url, {
        ...options.init,
        method: request.method,
        headers: { ...request.headers },
        body: request.body,
        signal,
      });
      return { status: response.status, headers: response.headers, body: fetchBody(response.body) };
    });
}

/**
 * Reads a fetch body. Cancelling goes through the reader too: a custom `fetch` may not honour the
 * signal. A reader that reaches its end lets the connection be reused.
 */
function fetchBody(stream: ReadableStream<Uint8Array> | null): BodySource {
  const reader = stream?.getReader();
  return {
    reusable: true,
    open(sink) {
      if (!reader) return sink.complete();
      const pump = (): void => {
        reader.read().then(({ done, value }) => {
          if (done) return sink.complete();
          sink.next(value);
          if (!sink.closed) pump();
        }, sink.error);
      };
      pump();
    },
    cancel: () => void reader?.cancel().catch(() => undefined),
  };
}
