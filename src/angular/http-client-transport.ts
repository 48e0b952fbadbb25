import {
  HttpClient,
  HttpContext,
  HttpContextToken,
  HttpErrorResponse,
  HttpEventType,
  HttpHeaders,
  type HttpEvent,
} from '@angular/common/http';
import type { Observer } from 'rxjs';
import {
  createTransportResponse,
  RxChatError,
  type BodySink,
  type ChatHttpRequest,
  type ChatTransport,
  type TransportExchange,
} from 'rxchat';

/**
 * Set on every request the HttpClient transport sends, so an interceptor can tell a streaming
 * chat request apart (for example to leave it out of a global loading bar or a retry policy of
 * its own: rxchat already retries before output).
 *
 * @example
 * ```ts
 * export const loadingBar: HttpInterceptorFn = (req, next) =>
 *   req.context.get(RX_CHAT_REQUEST) ? next(req) : next(req).pipe(showProgress());
 * ```
 */
export const RX_CHAT_REQUEST = new HttpContextToken<boolean>(() => false);

/**
 * A {@link ChatTransport} over Angular's `HttpClient`, so the app's interceptors (auth, logging,
 * base URLs) apply to chat requests. Streams through `observe: 'events'` with download progress,
 * turning Angular's cumulative `partialText` into only the new text of each event.
 *
 * - Unsubscribing cancels the HttpClient request (the browser closes the connection).
 * - A non-2xx status is a normal response (rxchat turns it into an `http_error` with the
 *   provider's message); status 0 (network failure, CORS) is a retryable `connection_error`, and
 *   an interceptor's own error a `connection_error` that is not retried.
 * - When Angular completes the request without a final response (it does when the injector
 *   that owns `HttpClient` is destroyed mid-stream), the body fails with `aborted`: a cut-off
 *   answer is never reported as a finished one.
 *
 * Use `provideHttpClient(withFetch())`: the XHR backend also streams, but holds the whole
 * response text, and the fetch backend is the one Angular recommends. Either way Angular keeps
 * the full text of the response until it ends; for very long streams `withFetchTransport()`
 * streams with constant memory.
 *
 * @example
 * ```ts
 * const transport = httpClientTransport(inject(HttpClient));
 * ```
 */
export function httpClientTransport(http: HttpClient): ChatTransport {
  return (request: ChatHttpRequest) =>
    createTransportResponse((exchange) => {
      const events = new HttpClientEvents(exchange);
      const subscription = http
        .request(request.method, request.url, requestOptions(request))
        .subscribe(events);
      return () => subscription.unsubscribe();
    });
}

function requestOptions(request: ChatHttpRequest) {
  const options = {
    body: request.body ?? null,
    headers: new HttpHeaders({ ...request.headers }),
    context: new HttpContext().set(RX_CHAT_REQUEST, true),
    observe: 'events' as const,
    responseType: 'text' as const,
    reportProgress: true,
  };
  // Angular 22 names download progress separately; earlier versions ignore the field.
  return Object.assign(options, { reportDownloadProgress: true });
}

/**
 * The engine of {@link httpClientTransport}: turns the events of one `HttpClient` request into
 * one exchange of `createTransportResponse`, which owns the rules of the response and its body
 * (single use, release, cancellation). Angular's `partialText` is cumulative: only the new text
 * of each event is passed on.
 */
class HttpClientEvents implements Observer<HttpEvent<string>> {
  /** The body's reader, once it claimed the body. */
  private sink: BodySink | undefined;
  private responded = false;
  /** Characters of the response text already passed on. */
  private delivered = 0;

  constructor(private readonly exchange: TransportExchange) {}

  next(event: HttpEvent<string>): void {
    switch (event.type) {
      case HttpEventType.ResponseHeader:
        this.respond(event.status, event.headers);
        return;
      case HttpEventType.DownloadProgress:
        // Headers first; partialText is cumulative, so nothing is lost by waiting for them.
        if (this.responded && event.partialText !== undefined) this.deliver(event.partialText);
        return;
      case HttpEventType.Response:
        this.finish(event.status, event.headers, event.body);
        return;
      default:
        return; // Sent, UploadProgress, User
    }
  }

  error(error: unknown): void {
    if (error instanceof HttpErrorResponse && error.status === 0) {
      // The network (or CORS) failed: a connection_error, worth a retry.
      this.fail(networkCause(error));
    } else if (
      !(error instanceof HttpErrorResponse) ||
      (error.status >= 200 && error.status < 300)
    ) {
      // Not an answer from the server: an interceptor's own error (a failed token refresh), or
      // a 2xx that Angular could not read. Retrying would not change those.
      this.fail(
        new RxChatError('connection_error', `The HTTP request failed: ${describe(error)}`, {
          cause: error,
          retryable: false,
        }),
      );
    } else {
      // An error status is an answer like any other: its body explains it.
      this.finish(error.status, error.headers, error.error);
    }
  }

  complete(): void {
    // Angular completes without a final response when the injector that owns HttpClient is
    // destroyed mid-stream. (After a response, the body has ended and this changes nothing.)
    this.fail(
      new RxChatError(
        'aborted',
        'Angular ended the HTTP request before the response was complete ' +
          '(the injector that owns HttpClient was destroyed); the partial answer is not a finished one',
        { retryable: false },
      ),
    );
  }

  private respond(status: number, headers: HttpHeaders | null | undefined): void {
    if (this.responded) return;
    this.responded = true;
    this.exchange.respond({
      status,
      headers,
      body: {
        open: (sink) => {
          this.sink = sink;
        },
      },
    });
  }

  /** The whole response is in: what is left of its text goes out, and the body ends. */
  private finish(status: number, headers: HttpHeaders | null | undefined, text: unknown): void {
    this.respond(status, headers);
    this.deliver(typeof text === 'string' ? text : '');
    this.sink?.complete();
  }

  private deliver(text: string): void {
    if (text.length <= this.delivered) return;
    const fresh = text.slice(this.delivered);
    this.delivered = text.length;
    this.sink?.next(fresh);
  }

  private fail(error: unknown): void {
    if (this.responded) this.sink?.error(error);
    else this.exchange.fail(error);
  }
}

/**
 * What a network failure wraps: fetch's error (whose cause tells ECONNREFUSED from a reset),
 * else the HttpErrorResponse itself (XHR gives a ProgressEvent, which says nothing).
 */
function networkCause(error: HttpErrorResponse): unknown {
  const inner = error.error as { message?: unknown } | null | undefined;
  return typeof inner?.message === 'string' ? inner : error;
}

function describe(error: unknown): string {
  if (error instanceof HttpErrorResponse) {
    const inner = error.error instanceof Error ? `: ${error.error.message}` : '';
    return `${error.message}${inner}`;
  }
  return error instanceof Error ? error.message : String(error);
}
