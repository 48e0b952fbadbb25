import { defer, type Observable, throwError } from 'rxjs';
import { RxChatError } from '../errors';
import type { ChatHttpRequest, ChatHttpResponse, ChatTransport } from '../transport/types';
import type { RunHelpers } from './run';

/** A cold marble Observable that records its subscriptions (for `expectSubscriptions`). */
export type ScriptedObservable<T> = Observable<T> & {
  /** When each subscription started and ended, in frames: pass it to `expectSubscriptions`. */
  subscriptions: ReturnType<RunHelpers['cold']>['subscriptions'];
};

/** One scripted response of a {@link createMockTransport}. */
export interface MockResponse {
  /**
   * When the response headers arrive, as a marble where `r` is the response: default `'(r|)'`
   * (at once). `'---(r|)'` answers after 3 frames, `'-----'` never answers, `'--#'` fails the
   * request with a connection error.
   */
  headers?: string;
  /** Default 200. */
  status?: number;
  /** Default `{ 'content-type': 'text/event-stream' }`. */
  responseHeaders?: Record<string, string>;
  /** The body as a marble of pieces from `values`; default `'|'` (empty). `#` breaks it off. */
  body?: string;
  /** The pieces the body marble names: SSE text (see `sseValues`) or bytes. */
  values?: Record<string, string | Uint8Array>;
  /** The error for `#` in `headers` or `body`; default a `connection_error`. */
  error?: unknown;
}

/** A request the mock transport received. */
export interface RecordedRequest {
  /** The request as the transport received it (secret headers redacted when logged). */
  request: ChatHttpRequest;
  /** The request body parsed as JSON (`undefined` when it had none). */
  json: unknown;
}

/** One scripted exchange: the Observables whose `subscriptions` show what the client did. */
export interface ScriptedExchange {
  /** The response marble (`headers` of the {@link MockResponse}): subscribed once per request. */
  response: ScriptedObservable<ChatHttpResponse>;
  /** The body marble: its subscriptions show when the client read the body and when it stopped. */
  body: ScriptedObservable<Uint8Array | string>;
}

/** A {@link ChatTransport} that plays scripted responses on virtual time. */
export interface MockTransport extends ChatTransport {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /**
   * The exchanges, one per scripted response (made up front for a list, so tests can pass their
   * `subscriptions` to `expectSubscriptions` before the run flushes).
   */
  readonly exchanges: ScriptedExchange[];
}

/**
 * A transport for marble tests: each request gets the next scripted response, whose headers and
 * body are cold marbles, so the real client (retries and timeouts included) runs under
 * `TestScheduler.run` with no promises and no sockets. Call it inside `run()`.
 *
 * @example
 * ```ts
 * runMarbles(({ cold, expectObservable, expectSubscriptions }) => {
 *   const transport = createMockTransport({ cold }, [
 *     { status: 503, body: '-|' },
 *     { headers: '--(r|)', body: '-a-b-d|', values: sseValues({ a: makeChunk({ content: 'Hi' }), b: makeChunk({ finishReason: 'stop' }), d: DONE }) },
 *   ]);
 *   const client = createChatClient({ baseURL: 'http://test/v1', transport, retry: { baseDelay: 10, jitter: 0 } });
 *   expectObservable(client.stream(request).pipe(contentDeltas())).toBe('...');
 *   expectSubscriptions(transport.exchanges[1]!.body.subscriptions).toBe('...');
 * }, (a, e) => expect(a).toEqual(e));
 * ```
 */
export function createMockTransport(
  helpers: Pick<RunHelpers, 'cold'>,
  script: readonly MockResponse[] | ((request: ChatHttpRequest, attempt: number) => MockResponse),
): MockTransport {
  const requests: RecordedRequest[] = [];
  const exchanges: ScriptedExchange[] = [];
  const build = (response: MockResponse): ScriptedExchange => {
    const scriptedError =
      response.error ?? new RxChatError('connection_error', 'The scripted connection broke off');
    const body = helpers.cold<Uint8Array | string>(
      response.body ?? '|',
      response.values ?? {},
      scriptedError,
    );
    // Single-use, like a real transport's body: a client that reads it twice is a bug to catch.
    let claimed = false;
    const http: ChatHttpResponse = {
      status: response.status ?? 200,
      headers: response.responseHeaders ?? { 'content-type': 'text/event-stream' },
      body: defer(() => {
        if (claimed) {
          return throwError(
            () => new Error('createMockTransport: the response body was subscribed to twice'),
          );
        }
        claimed = true;
        return body;
      }),
    };
    const headers = helpers.cold<ChatHttpResponse>(
      response.headers ?? '(r|)',
      { r: http },
      scriptedError,
    );
    return { response: headers, body };
  };
  if (typeof script !== 'function') for (const response of script) exchanges.push(build(response));

  const transport = (request: ChatHttpRequest): Observable<ChatHttpResponse> => {
    const attempt = requests.length;
    let json: unknown;
    try {
      json = request.body === undefined ? undefined : JSON.parse(request.body);
    } catch {
      json = undefined;
    }
    requests.push({ request, json });
    let exchange: ScriptedExchange | undefined;
    if (typeof script === 'function') {
      exchange = build(script(request, attempt));
      exchanges.push(exchange);
    } else {
      exchange = exchanges[attempt];
    }
    if (!exchange) {
      return throwError(
        () =>
          new RxChatError(
            'connection_error',
            `createMockTransport: no response scripted for request ${attempt + 1}`,
            { retryable: false },
          ),
      );
    }
    return exchange.response;
  };
  return Object.assign(transport, { requests, exchanges });
}
