import {
  HttpClient,
  HttpContext,
  HttpContextToken,
  HttpErrorResponse,
  HttpEventType,
  HttpHeaders,
  type HttpEvent,
} from '@angular/common/http';
import { Observable, type Subscriber, type Subscription } from 'rxjs';
import {
  RxChatError,
  type ChatHttpRequest,
  type ChatHttpResponse,
  type ChatTransport,
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
    new Observable<ChatHttpResponse>((subscriber) => {
      // Read by the body; set when the body is claimed, cleared when it is done.
      let sink: Subscriber<string> | undefined;
      let bodyState: 'none' | 'offered' | 'claimed' | 'done' = 'none';
      let delivered = 0; // characters of the response text already passed on
      let finished = false;
      // Assigned once, but read by cancel() possibly before subscribe() returns: not a const.
      // eslint-disable-next-line prefer-const
      let exchange: Subscription | undefined;
      let cancelled = false;
      // May run while subscribe() below has not returned yet (a synchronous backend).
      const cancel = () => {
        cancelled = true;
        exchange?.unsubscribe();
      };

      const deliver = (text: string) => {
        if (text.length <= delivered) return;
        const fresh = text.slice(delivered);
        delivered = text.length;
        sink?.next(fresh);
      };
      const endBody = (error?: RxChatError) => {
        const target = sink;
        sink = undefined;
        bodyState = 'done';
        if (error) target?.error(error);
        else target?.complete();
      };

      const respond = (status: number, headers: HttpHeaders | null | undefined) => {
        bodyState = 'offered';
        const body = new Observable<string>((bodySubscriber) => {
          if (bodyState !== 'offered') {
            bodySubscriber.error(
              new RxChatError(
                'connection_error',
                'The response body can be subscribed to only once, while the response is delivered',
                { retryable: false },
              ),
            );
            return;
          }
          bodyState = 'claimed';
          sink = bodySubscriber;
          return () => {
            if (sink === bodySubscriber) sink = undefined;
            if (!finished) cancel();
          };
        });
        subscriber.next({ status, headers: headerRecord(headers), body });
        subscriber.complete();
        // Nobody claimed the body while the response was delivered: let the request go.
        if (bodyState === 'offered') {
          bodyState = 'done';
          cancel();
        }
      };

      const options = {
        body: request.body ?? null,
        headers: new HttpHeaders({ ...request.headers }),
        context: new HttpContext().set(RX_CHAT_REQUEST, true),
        observe: 'events' as const,
        responseType: 'text' as const,
        reportProgress: true,
      };
      // Angular 22 names download progress separately; earlier versions ignore the field.
      Object.assign(options, { reportDownloadProgress: true });

      exchange = http.request(request.method, request.url, options).subscribe({
        next(event: HttpEvent<string>) {
          switch (event.type) {
            case HttpEventType.ResponseHeader:
              if (bodyState === 'none') respond(event.status, event.headers);
              return;
            case HttpEventType.DownloadProgress:
              if (bodyState === 'none') return; // headers first; partialText is cumulative
              if (event.partialText !== undefined) deliver(event.partialText);
              return;
            case HttpEventType.Response:
              finished = true;
              if (bodyState === 'none') respond(event.status, event.headers);
              deliver(typeof event.body === 'string' ? event.body : '');
              endBody();
              return;
            default:
              return; // Sent, UploadProgress, User
          }
        },
        error(error: unknown) {
          finished = true;
          const httpStatus = error instanceof HttpErrorResponse ? error.status : 0;
          if (httpStatus === 0 || (httpStatus >= 200 && httpStatus < 300)) {
            // Status 0: the network (or CORS) failed, worth a retry. Anything else here is not an
            // answer from the server: an interceptor's own error (a failed token refresh), or a
            // 2xx that Angular could not read. Retrying would not change those.
            const failure = new RxChatError(
              'connection_error',
              `The HTTP request failed: ${describe(error)}`,
              { cause: error, retryable: error instanceof HttpErrorResponse && httpStatus === 0 },
            );
            if (bodyState === 'none') subscriber.error(failure);
            else endBody(failure);
            return;
          }
          const failed = error as HttpErrorResponse;
          // An error status is an answer like any other: its body explains it.
          if (bodyState === 'none') respond(failed.status, failed.headers);
          deliver(typeof failed.error === 'string' ? failed.error : '');
          endBody();
        },
        complete() {
          if (finished) return;
          finished = true;
          const cut = new RxChatError(
            'aborted',
            'Angular ended the HTTP request before the response was complete ' +
              '(the injector that owns HttpClient was destroyed); the partial answer is not a finished one',
            { retryable: false },
          );
          if (bodyState === 'none') subscriber.error(cut);
          else endBody(cut);
        },
      });
      if (cancelled) exchange.unsubscribe();

      return () => {
        // Before the response: cancel. After it, the body owns the request.
        if (bodyState === 'none') cancel();
      };
    });
}

function headerRecord(headers: HttpHeaders | null | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  if (!headers) return record;
  for (const name of headers.keys()) {
    const values = headers.getAll(name);
    if (values) record[name.toLowerCase()] = values.join(', ');
  }
  return record;
}

function describe(error: unknown): string {
  if (error instanceof HttpErrorResponse) {
    const inner = error.error instanceof Error ? `: ${error.error.message}` : '';
    return `${error.message}${inner}`;
  }
  return error instanceof Error ? error.message : String(error);
}
