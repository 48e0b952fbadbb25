import {
  HttpClient,
  HttpErrorResponse,
  HttpEventType,
  HttpHeaderResponse,
  HttpHeaders,
  provideHttpClient,
  withInterceptors,
  type HttpEvent,
  type HttpInterceptorFn,
} from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Observable, throwError } from 'rxjs';
import { contentDeltas, createChatClient, RxChatError, type ChatStreamEvent } from 'rxchat';
import { httpClientTransport, RX_CHAT_REQUEST } from 'rxchat/angular';
import { sseEvent } from 'rxchat/testing';

// The HttpClient transport through the whole client, against Angular's own HttpTestingController:
// headers, cumulative partialText, the final response, error statuses, network errors,
// cancellation, and a stream that Angular completes without a response.

const URL = 'http://api.test/v1/chat/completions';
const request = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };
const chunk = (content: string, finish: string | null = null) =>
  sseEvent({ id: 'c', choices: [{ index: 0, delta: { content }, finish_reason: finish }] });
const usageChunk = sseEvent({
  id: 'c',
  choices: [],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
});
const DONE = sseEvent('[DONE]');

/** One bare request through the transport, outside the client. */
const send = () =>
  httpClientTransport(TestBed.inject(HttpClient))({
    method: 'POST',
    url: URL,
    headers: {},
    body: '{}',
  });

/** Collects what a subscription received, to assert on after each step. */
function record<T>(source: Observable<T>) {
  const seen = { values: [] as T[], error: undefined as unknown, complete: false };
  const subscription = source.subscribe({
    next: (value) => seen.values.push(value),
    error: (error: unknown) => (seen.error = error),
    complete: () => (seen.complete = true),
  });
  return { seen, subscription };
}

const progress = (partialText: string): HttpEvent<string> => ({
  type: HttpEventType.DownloadProgress,
  loaded: partialText.length,
  partialText,
});

describe('httpClientTransport', () => {
  let interceptorSaw: { auth: string | null; rxchat: boolean }[];
  const spy: HttpInterceptorFn = (req, next) => {
    interceptorSaw.push({
      auth: req.headers.get('x-app-auth'),
      rxchat: req.context.get(RX_CHAT_REQUEST),
    });
    return next(req.clone({ setHeaders: { 'x-app-auth': 'from-interceptor' } }));
  };

  beforeEach(() => {
    interceptorSaw = [];
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withInterceptors([spy])), provideHttpClientTesting()],
    });
  });
  afterEach(() => TestBed.inject(HttpTestingController).verify());

  const client = () =>
    createChatClient({
      baseURL: 'http://api.test/v1',
      apiKey: 'sk-test-0000',
      transport: httpClientTransport(TestBed.inject(HttpClient)),
      retry: false,
      timeout: false,
    });

  it('streams the new text of each progress event, through the app interceptors', () => {
    const { seen } = record(client().stream(request).pipe(contentDeltas()));
    const req = TestBed.inject(HttpTestingController).expectOne(URL);
    expect(req.request.method).toBe('POST');
    expect(req.request.headers.get('authorization')).toBe('Bearer sk-test-0000');
    expect(req.request.headers.get('x-app-auth')).toBe('from-interceptor');
    expect(interceptorSaw).toEqual([{ auth: null, rxchat: true }]);
    expect(JSON.parse(req.request.body as string)).toMatchObject({ ...request, stream: true });
    expect(req.request.reportProgress).toBe(true);

    const all = chunk('Hel') + chunk('lo', 'stop') + usageChunk + DONE;
    const cut = all.indexOf('lo') + 1; // inside the second event
    req.event(
      new HttpHeaderResponse({
        status: 200,
        headers: new HttpHeaders({ 'content-type': 'text/event-stream' }),
      }),
    );
    req.event(progress(all.slice(0, cut)));
    expect(seen.values).toEqual(['Hel']);
    req.event(progress(all)); // cumulative: only the rest is new
    expect(seen.values).toEqual(['Hel', 'lo']);
    expect(seen.complete).toBe(true); // [DONE] ends the stream before Angular's final response
    expect(req.cancelled).toBe(true); // ...and lets the request go
  });

  it('passes on each character once, however the progress events split the text', () => {
    const pieces: string[] = [];
    send().subscribe((response) =>
      response.body.subscribe((piece) => pieces.push(piece as string)),
    );
    const req = TestBed.inject(HttpTestingController).expectOne(URL);
    const text = 'data: {"a":"é😀"}\n\n'.repeat(50);
    req.event(new HttpHeaderResponse({ status: 200 }));
    for (let end = 7; end < text.length; end += 13) req.event(progress(text.slice(0, end)));
    req.flush(text);
    expect(pieces.join('')).toBe(text);
    expect(pieces.reduce((n, piece) => n + piece.length, 0)).toBe(text.length);
  });

  it('reads a response without progress events from the final body', () => {
    const { seen } = record(client().stream(request));
    const req = TestBed.inject(HttpTestingController).expectOne(URL);
    req.flush(chunk('Hi', 'stop') + usageChunk + DONE, {
      headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req_1' },
    });
    const types = (seen.values as ChatStreamEvent[]).map((event) => event.type);
    expect(types).toEqual(['response', 'chunk', 'chunk', 'usage']);
    expect(seen.values[0]).toMatchObject({ type: 'response', status: 200, requestId: 'req_1' });
    expect(seen.values.at(-1)).toEqual({
      type: 'usage',
      usage: expect.objectContaining({ prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 }),
    });
    expect(seen.complete).toBe(true);
  });

  it('turns an error status into an http_error with the provider message, and no key', () => {
    const { seen } = record(client().stream(request));
    const req = TestBed.inject(HttpTestingController).expectOne(URL);
    req.flush(
      JSON.stringify({
        error: { message: 'Incorrect API key provided: sk-test-0000', type: 'auth' },
      }),
      { status: 401, statusText: 'Unauthorized', headers: { 'content-type': 'application/json' } },
    );
    const error = seen.error as RxChatError;
    expect(RxChatError.isInstance(error)).toBe(true);
    expect(error.code).toBe('http_error');
    expect(error.status).toBe(401);
    expect(error.provider?.message).toBe('Incorrect API key provided: [redacted]');
    expect(JSON.stringify(error)).not.toContain('sk-test-0000');
  });

  it('turns a network failure (status 0) into a connection_error', () => {
    const { seen } = record(client().stream(request));
    TestBed.inject(HttpTestingController)
      .expectOne(URL)
      .error(new ProgressEvent('error'), { status: 0 });
    expect((seen.error as RxChatError).code).toBe('connection_error');
    expect((seen.error as RxChatError).retryable).toBe(true); // the network may come back
  });

  it('fails with connection_error when the connection breaks mid-body, keeping what came', () => {
    const { seen } = record(client().stream(request).pipe(contentDeltas()));
    const req = TestBed.inject(HttpTestingController).expectOne(URL);
    req.event(new HttpHeaderResponse({ status: 200 }));
    req.event(progress(chunk('Hel')));
    req.error(new ProgressEvent('error'), { status: 0 });
    expect(seen.values).toEqual(['Hel']);
    expect((seen.error as RxChatError).code).toBe('connection_error');
  });

  it('cancels the HttpClient request when the subscriber unsubscribes', () => {
    const { seen, subscription } = record(client().stream(request));
    const req = TestBed.inject(HttpTestingController).expectOne(URL);
    req.event(new HttpHeaderResponse({ status: 200 }));
    req.event(progress(chunk('Hel')));
    subscription.unsubscribe();
    expect(req.cancelled).toBe(true);
    expect(seen.complete).toBe(false);
    expect(seen.error).toBeUndefined();
  });

  it('cancels before the headers arrive too', () => {
    const { subscription } = record(client().stream(request));
    const req = TestBed.inject(HttpTestingController).expectOne(URL);
    subscription.unsubscribe();
    expect(req.cancelled).toBe(true);
  });
});

describe('httpClientTransport bodies and odd errors', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
  });
  afterEach(() => TestBed.inject(HttpTestingController).verify());

  it('gives a body that can be read once, while the response is delivered', () => {
    const errors: string[] = [];
    send().subscribe((response) => {
      response.body.subscribe();
      response.body.subscribe({ error: (error: RxChatError) => errors.push(error.code) });
    });
    const req = TestBed.inject(HttpTestingController).expectOne(URL);
    req.event(new HttpHeaderResponse({ status: 200 }));
    expect(errors).toEqual(['connection_error']);
    req.flush('');
  });

  it('lets the request go when nobody claims the body', () => {
    let later: Observable<Uint8Array | string> | undefined;
    send().subscribe((response) => (later = response.body));
    const req = TestBed.inject(HttpTestingController).expectOne(URL);
    req.event(new HttpHeaderResponse({ status: 200 }));
    expect(req.cancelled).toBe(true);
    const errors: string[] = [];
    later!.subscribe({ error: (error: RxChatError) => errors.push(error.code) });
    expect(errors).toEqual(['connection_error']);
  });
});

describe('httpClientTransport with a failing interceptor', () => {
  it('does not retry an error an interceptor raised, nor a 2xx Angular could not read', () => {
    for (const error of [
      new Error('token refresh failed'),
      new HttpErrorResponse({ status: 200 }),
    ]) {
      TestBed.resetTestingModule();
      const failing: HttpInterceptorFn = () => throwError(() => error);
      TestBed.configureTestingModule({
        providers: [provideHttpClient(withInterceptors([failing]))],
      });
      let failure: RxChatError | undefined;
      send().subscribe({ error: (e: RxChatError) => (failure = e) });
      expect(failure?.code).toBe('connection_error');
      expect(failure?.retryable).toBe(false);
    }
  });
});

describe('httpClientTransport when Angular completes the request early', () => {
  // What Angular's fetch backend does when the injector that owns HttpClient is destroyed
  // mid-stream: it cancels the reader and completes, with no final response.
  const endsEarly: HttpInterceptorFn = () =>
    new Observable<HttpEvent<unknown>>((subscriber) => {
      subscriber.next(
        new HttpHeaderResponse({
          status: 200,
          headers: new HttpHeaders({ 'content-type': 'text/event-stream' }),
        }),
      );
      subscriber.next(progress(chunk('Hel', 'stop')));
      subscriber.complete();
    });

  it('fails with aborted: a cut-off answer is never a finished one (even after a finish_reason)', () => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withInterceptors([endsEarly]))],
    });
    const client = createChatClient({
      baseURL: 'http://api.test/v1',
      transport: httpClientTransport(TestBed.inject(HttpClient)),
      retry: false,
      timeout: false,
    });
    const { seen } = record(client.stream(request).pipe(contentDeltas()));
    expect(seen.values).toEqual(['Hel']);
    expect(seen.complete).toBe(false);
    expect((seen.error as RxChatError).code).toBe('aborted');
  });
});
