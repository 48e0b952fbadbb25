import { inspect } from 'node:util';
import { type Observable } from 'rxjs';
import {
  contentDeltas,
  createChatClient,
  fetchTransport,
  RxChatError,
  undiciTransport,
  type ChatClientOptions,
  type ChatRequest,
  type ChatRequestOptions,
} from '../../src/node';
import { sseHead, startLoopback, type Loopback } from '../helpers/loopback';

// Bad input from the caller is a typed validation_error notification, at once: never a throw at
// call time, never silently ignored, never a request that a transport refuses and that is then
// retried as a connection_error.

const KEY = 'sk-bad-input-SECRET-0123456789';
const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };

/** Subscribes once and reports what came. */
function settle<T>(source: Observable<T>): Promise<{ values: T[]; error?: RxChatError }> {
  const values: T[] = [];
  return new Promise((resolve) =>
    source.subscribe({
      next: (value) => values.push(value),
      error: (error: RxChatError) => resolve({ values, error }),
      complete: () => resolve({ values }),
    }),
  );
}

describe('bad input fails at once with validation_error, and nothing is sent', () => {
  let server: Loopback;
  beforeEach(async () => {
    server = await startLoopback((_req, res) => {
      sseHead(res);
      res.end(
        'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\n',
      );
    });
  });
  afterEach(() => server.close());

  const client = (options: ChatClientOptions = {}) =>
    createChatClient({ baseURL: server.baseURL, retry: { baseDelay: 1 }, ...options });

  describe.each([
    ['undici', () => undiciTransport()],
    ['fetch', () => fetchTransport()],
  ])('header values a request cannot carry (%s)', (_name, transport) => {
    it.each([
      ['CR LF', 'a\r\nx-injected: 1'],
      ['LF', 'a\nb'],
      ['CR', 'a\rb'],
      ['NUL', 'a\u0000b'],
      ['non-Latin-1', 'caf\u00e9 \u2603'],
    ])('%s in a request header', async (what, value) => {
      const { error } = await settle(
        client({ transport: transport() }).stream(request, { headers: { 'x-tag': value } }),
      );
      expect(error).toMatchObject({ code: 'validation_error', retryable: false });
      expect(error!.message).toMatch(/header "x-tag"/);
      expect(error!.attempts).toBeUndefined(); // not retried
      expect(server.requests).toHaveLength(0);
      if (what === 'non-Latin-1') expect(error!.message).toMatch(/U\+2603/);
    });

    it('an apiKey with CRLF, and the message does not show it', async () => {
      const apiKey = `${KEY}\r\nx-evil: 1`;
      const { error } = await settle(client({ apiKey, transport: transport() }).stream(request));
      expect(error).toMatchObject({ code: 'validation_error' });
      expect(error!.message).toMatch(/apiKey contains a line break/);
      expect(JSON.stringify(error) + inspect(error, { depth: 10 })).not.toContain(KEY);
      expect(server.requests).toHaveLength(0);
    });

    it('a client-level header with a bad value', async () => {
      const { error } = await settle(
        client({ transport: transport(), headers: { 'x-a': 'ok\n' } }).stream(request),
      );
      expect(error).toMatchObject({ code: 'validation_error' });
      expect(server.requests).toHaveLength(0);
    });
  });

  it('a bad header name', async () => {
    const { error } = await settle(client().stream(request, { headers: { 'x a:': 'v' } }));
    expect(error).toMatchObject({ code: 'validation_error' });
    expect(error!.message).toMatch(/not a valid header name/);
  });

  it('a header value with a tab and Latin-1 characters is fine', async () => {
    const { values, error } = await settle(
      client()
        .stream(request, { headers: { 'x-tag': 'a\tb caf\u00e9' } })
        .pipe(contentDeltas()),
    );
    expect(error).toBeUndefined();
    expect(values).toEqual(['ok']);
    expect(server.requests[0]!.headers['x-tag']).toBe('a\tb caf\u00e9');
  });

  const badOptions: [string, unknown, RegExp][] = [
    ['null options', null, /request options must be an object, got null/],
    ['options that are a string', 'fast', /request options must be an object/],
    ['a signal that is not an AbortSignal', { signal: {} }, /signal must be an AbortSignal/],
    ['a timeout that is a string', { timeout: { idle: 'x' } }, /timeout\.idle must be a number/],
    ['a negative timeout', { timeout: { idle: -1 } }, /timeout\.idle .* got -1/],
    ['a NaN timeout', { timeout: { headers: NaN } }, /timeout\.headers .* got NaN/],
    ['a timeout no timer can wait', { timeout: { total: 2 ** 31 } }, /timeout\.total/],
    ['a timeout that is a number', { timeout: 5000 }, /timeout must be an object or false/],
    ['an endsData that is not a function', { timeout: { endsData: 1 } }, /timeout\.endsData/],
    ['negative maxRetries', { retry: { maxRetries: -1 } }, /retry\.maxRetries .* got -1/],
    ['fractional maxRetries', { retry: { maxRetries: 1.5 } }, /retry\.maxRetries/],
    ['a jitter above 1', { retry: { jitter: 2 } }, /retry\.jitter/],
    ['a shouldRetry that is not a function', { retry: { shouldRetry: true } }, /shouldRetry/],
    ['headers that are a number', { headers: 5 }, /headers must be an object of strings/],
    ['headers with a number value', { headers: { 'x-n': 5 } }, /header "x-n" must be a string/],
    ['query that is an array', { query: ['a'] }, /query must be an object/],
    ['a NaN query value', { query: { 'api-version': NaN } }, /query parameter "api-version"/],
    ['secretHeaders that is a string', { secretHeaders: 'x-a' }, /secretHeaders/],
  ];

  it.each(badOptions)('%s', async (_what, options, message) => {
    let stream$: Observable<unknown> | undefined;
    expect(() => {
      stream$ = client().stream(request, options as ChatRequestOptions);
    }).not.toThrow();
    const { error } = await settle(stream$!);
    expect(error).toMatchObject({ code: 'validation_error', retryable: false });
    expect(RxChatError.isInstance(error)).toBe(true);
    expect(error!.message).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['timeout', { timeout: { idle: 'soon' } }],
    ['retry', { retry: { maxRetries: -1 } }],
    ['signal', { signal: {} }],
    ['headers', { headers: 5 }],
  ])('a bad client-level %s fails each stream the same way', async (_what, options) => {
    let made: ReturnType<typeof client> | undefined;
    expect(() => (made = client(options as ChatClientOptions))).not.toThrow();
    const { error } = await settle(made!.complete(request));
    expect(error).toMatchObject({ code: 'validation_error' });
    expect(server.requests).toHaveLength(0);
  });

  it('a message whose getter throws', async () => {
    const message = {
      role: 'user',
      get content(): string {
        throw new Error('getter exploded');
      },
    };
    let stream$: Observable<unknown> | undefined;
    expect(() => {
      stream$ = client().stream({ model: 'm', messages: [message] });
    }).not.toThrow();
    const { error } = await settle(stream$!);
    expect(error).toMatchObject({ code: 'validation_error' });
    expect(error!.message).toMatch(/getter exploded/);
    expect(server.requests).toHaveLength(0);
  });

  it.each([
    ['temperature NaN', { temperature: NaN }, /temperature/],
    ['seed Infinity', { seed: Infinity }, /seed is not a finite number/],
    ['frequency_penalty -Infinity', { frequency_penalty: -Infinity }, /frequency_penalty/],
    ['a provider field deep inside', { extra: { top_k: [1, NaN] } }, /extra\.top_k\.1 is not/],
    [
      'in a tool schema',
      {
        tools: [{ type: 'function', function: { name: 'f', parameters: { maximum: Infinity } } }],
      },
      /tools\.0\.function\.parameters\.maximum/,
    ],
  ])('%s is a validation_error, not a silent null', async (_what, fields, message) => {
    const { error } = await settle(client().stream({ ...request, ...fields }));
    expect(error).toMatchObject({ code: 'validation_error' });
    expect(error!.message).toMatch(message);
    expect(server.requests).toHaveLength(0);
  });

  it('a real null in a request is sent as it is', async () => {
    const { error } = await settle(client().stream({ ...request, stop: null, seed: 7 }));
    expect(error).toBeUndefined();
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({ stop: null, seed: 7 });
  });
});

describe('errors after output are not safely retryable', () => {
  let server: Loopback;
  beforeEach(async () => {
    server = await startLoopback();
  });
  afterEach(() => server.close());

  it.each([
    ['a cut connection', 'connection_error'],
    ['a clean end without a finish', 'truncated'],
  ])('%s after text: retryable is false, and no retry happened', async (how, code) => {
    server.handle((_req, res) => {
      sseHead(res);
      res.write('data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n');
      setTimeout(() => (how === 'a cut connection' ? res.socket?.destroy() : res.end()), 20);
    });
    const client = createChatClient({ baseURL: server.baseURL, retry: { baseDelay: 1 } });
    const { values, error } = await settle(client.stream(request).pipe(contentDeltas()));
    expect(values).toEqual(['Hel']);
    expect(error).toMatchObject({ code, retryable: false, attempts: 1 });
    expect(JSON.parse(JSON.stringify(error))).toMatchObject({ retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('with retries off too', async () => {
    server.handle((_req, res) => {
      sseHead(res);
      res.write('data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const client = createChatClient({ baseURL: server.baseURL, retry: false });
    const { error } = await settle(client.stream(request));
    expect(error).toMatchObject({ code: 'connection_error', retryable: false });
  });

  it('the same failure before any output stays retryable', async () => {
    server.handle((_req, res) => {
      sseHead(res);
      res.write(': thinking\n\n');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const client = createChatClient({ baseURL: server.baseURL, retry: false });
    const { error } = await settle(client.stream(request));
    expect(error).toMatchObject({ code: 'connection_error', retryable: true });
  });
});
