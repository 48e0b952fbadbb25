import type { Observable } from 'rxjs';

/**
 * The HTTP request a {@link ChatTransport} sends: built and validated by `createChatClient`.
 *
 * Header names are lower-case. The object redacts secrets (authorization and API-key headers)
 * from `JSON.stringify`, `util.inspect` and `toString()`, so logging a request never leaks a key;
 * `Object.entries(request.headers)` still gives the real values to the transport.
 */
export interface ChatHttpRequest {
  /** `'POST'` for chat completions (`'GET'` is reserved for listing endpoints). */
  readonly method: 'POST' | 'GET';
  /** The absolute URL, query parameters included (`…/chat/completions?api-version=…`). */
  readonly url: string;
  /** Every header to send, lower-case names, secrets included (the transport needs them). */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body, already serialised. */
  readonly body?: string;
}

/**
 * One HTTP response. `body` is cold and single-use: subscribe to it once, while handling the
 * response notification (as `switchMap` and `concatMap` do). A body that nobody claimed by the
 * time the response Observable completes is released at once (the socket is closed), so an
 * ignored response never holds a connection; subscribing to it later fails.
 *
 * Unsubscribing from `body` before it ends closes the connection; a body that was read to its
 * end leaves the connection free for reuse.
 */
export interface ChatHttpResponse {
  /** The HTTP status code (0 for an opaque or unreadable response). */
  readonly status: number;
  /** Response headers with lower-case names (repeated headers joined with `, `). */
  readonly headers: Readonly<Record<string, string>>;
  /** The body as it arrives: bytes from the network, or text from transports that decode. */
  readonly body: Observable<Uint8Array | string>;
}

/**
 * Sends one HTTP request per subscription and emits one response, then completes. Cold:
 * nothing is sent before subscribe. Unsubscribing before the response arrives aborts the
 * request. Network failures are `RxChatError`s with code `connection_error`.
 *
 * Implementations: `undiciTransport()` (Node), `fetchTransport()` (browsers, Deno, Bun, workers,
 * Node), `httpClientTransport()` of `rxchat/angular`, and the mock transport of `rxchat/testing`.
 * To write your own, build its response with `createTransportResponse`, which keeps these rules
 * (and those of {@link ChatHttpResponse}'s body) for you.
 */
export type ChatTransport = (request: ChatHttpRequest) => Observable<ChatHttpResponse>;

/**
 * The HTTP response of one attempt, emitted by `ChatClient.stream` before that attempt's chunks:
 * status, lower-case headers (rate-limit counters, processing time) and the provider's request
 * id. It is metadata, not output: `retryBeforeOutput` may still retry after it, so a
 * retried stream can carry several, one per attempt. `chatTimeout` ends its `headers`
 * phase on it.
 */
export interface ChatResponseEvent {
  /** The discriminant: the HTTP response of one attempt. */
  type: 'response';
  /** The HTTP status code; a non-2xx one is followed by the attempt's `http_error`. */
  status: number;
  /** The response headers, lower-case names, secret ones redacted. */
  headers: Readonly<Record<string, string>>;
  /** `x-request-id` (or a provider's equivalent); `null` when absent. */
  requestId: string | null;
}
