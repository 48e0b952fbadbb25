import { gzipSync, brotliCompressSync, deflateSync, deflateRawSync } from 'node:zlib';
import { first, lastValueFrom, take, takeUntil, timer, toArray } from 'rxjs';
import {
  contentDeltas,
  createChatClient,
  fetchTransport,
  finalCompletion,
  RxChatError,
  undiciTransport,
  type ChatClientOptions,
  type ChatStreamEvent,
  type ChatTransport,
} from '../../src/node';
import { chunk } from '../helpers/marbles';
import { sseWire } from '../../src/testing';
import { delay, settlesWithin, sseHead, startLoopback, type Loopback } from '../helpers/loopback';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { outcome } from './outcome';
import { startAngular, type AngularHarness } from './angular-harness';

// Every transport must pass the same contract against a real server on 127.0.0.1: undici, fetch,
// and rxchat/angular's over Angular's real HttpClient (fetch backend; see angular-harness.ts).
let angular: AngularHarness | undefined;
afterAll(() => angular?.destroy());
const transports: [string, () => ChatTransport][] = [
  ['undiciTransport', () => undiciTransport()],
  ['fetchTransport', () => fetchTransport()],
  ['httpClientTransport (Angular)', () => (angular ??= startAngular()).transport()],
];

const request = { model: 'test-model', messages: [{ role: 'user', content: 'Hi' }] };
const hello = sseWire([
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Hel' }),
  chunk({ content: 'lo' }, { finish_reason: 'stop' }),
  { ...chunk({}), choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } },
]);

expectNothingLeftOpen();

describe.each(transports)('%s against a real loopback server', (_name, makeTransport) => {
  let server: Loopback;
  const client = (options: ChatClientOptions = {}) =>
    createChatClient({
      baseURL: server.baseURL,
      apiKey: 'sk-test-123456',
      transport: makeTransport(),
      retry: { baseDelay: 1, maxDelay: 5 },
      ...options,
    });

  beforeEach(async () => {
    server = await startLoopback((_req, res) => {
      sseHead(res, { 'x-request-id': 'req_abc' });
      res.end(hello);
    });
  });
  afterEach(() => server.close());

  describe('requests', () => {
    it('sends nothing before subscribe and one request per subscription', async () => {
      const stream = client().stream(request);
      await delay(20);
      expect(server.requests).toHaveLength(0);
      const [a, b] = await Promise.all([
        lastValueFrom(stream.pipe(finalCompletion())),
        lastValueFrom(stream.pipe(finalCompletion())),
      ]);
      expect(a.choices[0]!.message.content).toBe('Hello');
      expect(b.choices[0]!.message.content).toBe('Hello');
      expect(server.requests).toHaveLength(2);
    });

    it('posts the validated request with stream, include_usage, auth and accept headers', async () => {
      await lastValueFrom(client().stream(request));
      const [received] = server.requests;
      expect(received!.method).toBe('POST');
      expect(received!.url).toBe('/v1/chat/completions');
      expect(received!.headers.authorization).toBe('Bearer sk-test-123456');
      expect(received!.headers['content-type']).toBe('application/json');
      expect(received!.headers.accept).toBe('text/event-stream');
      expect(JSON.parse(received!.body)).toEqual({
        ...request,
        stream: true,
        stream_options: { include_usage: true },
      });
    });

    it('joins base URLs with or without a trailing slash and adds the query', async () => {
      await lastValueFrom(
        client({ baseURL: `${server.baseURL}/`, query: { 'api-version': '2024-10-21' } }).stream(
          request,
          { query: { extra: 1 } },
        ),
      );
      expect(server.requests[0]!.url).toBe('/v1/chat/completions?api-version=2024-10-21&extra=1');
    });

    it('lets per-request headers add to and override the client headers', async () => {
      const c = client({ headers: { 'FC-Customer': 'default', 'X-Client': 'rx' } });
      await lastValueFrom(c.stream(request, { headers: { 'FC-Customer': 'acme', 'FC-Tag': 'b' } }));
      const { headers } = server.requests[0]!;
      expect(headers['fc-customer']).toBe('acme');
      expect(headers['fc-tag']).toBe('b');
      expect(headers['x-client']).toBe('rx');
    });

    it('omits stream_options when includeUsage is off', async () => {
      await lastValueFrom(client({ includeUsage: false }).stream(request));
      expect(JSON.parse(server.requests[0]!.body)).not.toHaveProperty('stream_options');
    });

    it('fails a bad request with validation_error and sends nothing', async () => {
      const { error } = await outcome(
        client().stream({
          model: '',
          messages: [{ role: 'user', content: 5 as unknown as string }],
        }),
      );
      expect(error?.code).toBe('validation_error');
      expect(error?.message).toMatch(/model/);
      expect(error?.message).toMatch(/messages\.0\.content/);
      await delay(20);
      expect(server.requests).toHaveLength(0);
    });

    it('reuses keep-alive connections for consecutive streams', async () => {
      const c = client();
      for (let i = 0; i < 6; i++) await lastValueFrom(c.stream(request));
      expect(server.requests).toHaveLength(6);
      // undici (and so Node's fetch) alternates between two pooled sockets even for raw
      // sequential requests read to their end; what matters is that no stream needs a new one.
      expect(server.connections.length).toBeLessThanOrEqual(2);
    });
  });

  describe('responses', () => {
    it('emits the response, every chunk and the usage, then completes', async () => {
      const events = await lastValueFrom(client().stream(request).pipe(toArray()));
      expect(events.map((e) => e.type)).toEqual([
        'response',
        'chunk',
        'chunk',
        'chunk',
        'chunk',
        'usage',
      ]);
      const response = events[0] as Extract<ChatStreamEvent, { type: 'response' }>;
      expect(response.status).toBe(200);
      expect(response.requestId).toBe('req_abc');
      expect(response.headers['content-type']).toBe('text/event-stream');
      expect(events.at(-1)).toEqual({
        type: 'usage',
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      });
    });

    it('turns a non-2xx JSON error into http_error with the provider details', async () => {
      server.handle((_req, res) => {
        res.writeHead(401, { 'content-type': 'application/json', 'x-request-id': 'req_401' });
        res.end(
          JSON.stringify({
            error: {
              message: 'Invalid authentication',
              type: 'invalid_request_error',
              code: 'invalid_api_key',
              param: null,
            },
          }),
        );
      });
      const { error } = await outcome(client().stream(request));
      expect(RxChatError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'http_error',
        status: 401,
        requestId: 'req_401',
        retryable: false,
        attempts: 1,
        provider: {
          message: 'Invalid authentication',
          type: 'invalid_request_error',
          code: 'invalid_api_key',
          param: null,
        },
      });
      expect(error!.message).toBe(
        'HTTP 401 Unauthorized: Invalid authentication (request id req_401)',
      );
      expect(error!.headers?.['content-type']).toBe('application/json');
      expect(server.requests).toHaveLength(1);
    });

    it('fails an error status whose body stalls as that http_error, not as a retried timeout', async () => {
      server.handle((_req, res) => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.write('{"error":{"message":"Invalid');
      });
      const { values, error } = await outcome(
        client({ timeout: { headers: 100, firstChunk: 100, idle: 100 } }).stream(request),
      );
      expect(values.map((e) => e.type)).toEqual(['response']);
      expect(error).toMatchObject({ code: 'http_error', status: 401, attempts: 1 });
      expect(error!.message).toMatch(/^HTTP 401 Unauthorized: \{"error":\{"message":"Invalid/);
      expect(server.requests).toHaveLength(1);
      expect(await settlesWithin(server.requests[0]!.closed, 1000)).toBe(true);
    });

    it('keeps the first KiB of a non-JSON error body', async () => {
      server.handle((_req, res) => {
        res.writeHead(400, { 'content-type': 'text/html' });
        res.end(`<html>${'x'.repeat(5000)}</html>`);
      });
      const { error } = await outcome(client().stream(request));
      expect(error).toMatchObject({ code: 'http_error', status: 400 });
      expect(error!.provider).toBeNull();
      expect(error!.message.startsWith('HTTP 400 Bad Request: <html>xxx')).toBe(true);
      expect(error!.data!.length).toBeLessThan(1100);
    });

    it('reads only a bounded prefix of a huge error body and closes the connection', async () => {
      let written = 0;
      server.handle((_req, res) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        const piece = 'e'.repeat(64 * 1024);
        const pump = () => {
          while (written < 64 * 1024 * 1024 && !res.destroyed) {
            written += piece.length;
            if (!res.write(piece)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      });
      const { error } = await outcome(client({ retry: false }).stream(request));
      expect(error).toMatchObject({ code: 'http_error', status: 500 });
      expect(await settlesWithin(server.requests[0]!.closed, 2000)).toBe(true);
      expect(written).toBeLessThan(64 * 1024 * 1024);
    });

    it('turns a JSON completion (stream ignored) into the same events', async () => {
      server.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(
          JSON.stringify({
            id: 'cmpl-1',
            object: 'chat.completion',
            created: 1,
            model: 'm',
            choices: [
              { index: 0, message: { role: 'assistant', content: 'one' }, finish_reason: 'stop' },
              {
                index: 1,
                message: {
                  role: 'assistant',
                  content: null,
                  tool_calls: [
                    { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
                  ],
                },
                finish_reason: 'tool_calls',
              },
            ],
            usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
          }),
        );
      });
      const events = await lastValueFrom(client().stream(request).pipe(toArray()));
      expect(events.map((e) => e.type)).toEqual(['response', 'chunk', 'chunk', 'usage']);
      const completion = await lastValueFrom(client().complete(request));
      expect(completion.choices.map((c) => c.message.content)).toEqual(['one', null]);
      expect(completion.choices[1]!.message.tool_calls).toEqual([
        { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } },
      ]);
      expect(completion.choices[1]!.finish_reason).toBe('tool_calls');
      expect(completion.usage?.total_tokens).toBe(3);
    });

    it('fails clearly on a 2xx body that is neither an event stream nor JSON', async () => {
      server.handle((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>Sign in to the Wi-Fi</html>');
      });
      const { error } = await outcome(client().stream(request));
      expect(error?.code).toBe('parse_error');
      expect(error?.message).toMatch(/text\/html.*Sign in to the Wi-Fi/);
      expect(server.requests).toHaveLength(1);
    });

    it.each([
      ['gzip', gzipSync],
      ['br', brotliCompressSync],
      ['deflate', deflateSync],
    ])('decodes a %s-compressed event stream', async (encoding, compress) => {
      server.handle((_req, res) => {
        sseHead(res, { 'content-encoding': encoding });
        res.end(compress(Buffer.from(hello)));
      });
      const text = await lastValueFrom(client().stream(request).pipe(contentDeltas(), toArray()));
      expect(text.join('')).toBe('Hello');
    });

    it('decodes raw deflate sent as "deflate"', async () => {
      server.handle((_req, res) => {
        sseHead(res, { 'content-encoding': 'deflate' });
        res.end(deflateRawSync(Buffer.from(hello)));
      });
      const completion = await lastValueFrom(client().complete(request));
      expect(completion.choices[0]!.message.content).toBe('Hello');
    });
  });

  describe('retries', () => {
    it('retries a 429 and succeeds, honouring retry-after-ms', async () => {
      let calls = 0;
      server.handle((_req, res) => {
        if (++calls === 1) {
          res.writeHead(429, { 'content-type': 'application/json', 'retry-after-ms': '30' });
          res.end(JSON.stringify({ error: { message: 'Slow down', code: 'rate_limit_exceeded' } }));
          return;
        }
        sseHead(res);
        res.end(hello);
      });
      const started = Date.now();
      const completion = await lastValueFrom(client().complete(request));
      expect(completion.choices[0]!.message.content).toBe('Hello');
      expect(server.requests).toHaveLength(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    });

    it('gives up after maxRetries on repeated 5xx and says how many attempts it made', async () => {
      server.handle((_req, res) => {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'Overloaded', type: 'server_error' } }));
      });
      const { error } = await outcome(
        client({ retry: { maxRetries: 2, baseDelay: 1 } }).stream(request),
      );
      expect(error).toMatchObject({
        code: 'http_error',
        status: 503,
        retryable: true,
        attempts: 3,
      });
      expect(error!.message).toMatch(/after 3 attempts/);
      expect(server.requests).toHaveLength(3);
    });

    it('retries an error frame that arrives before any output', async () => {
      let calls = 0;
      server.handle((_req, res) => {
        sseHead(res);
        if (++calls === 1) {
          res.end(
            'event: error\ndata: {"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}\n\n',
          );
        } else res.end(hello);
      });
      const { values, error } = await outcome(client().stream(request).pipe(contentDeltas()));
      expect(error).toBeUndefined();
      expect(values.join('')).toBe('Hello');
      expect(server.requests).toHaveLength(2);
    });

    it('never retries after output: the error passes with the partial answer, not retryable', async () => {
      server.handle((_req, res) => {
        sseHead(res);
        res.end(
          sseWire([chunk({ content: 'Hel' })], { done: false }) +
            'data: {"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}}\n\n',
        );
      });
      const { error } = await outcome(client().complete(request));
      // A rate limit is retryable in itself, but not once "Hel" has been shown (issue 12, item 17).
      expect(error).toMatchObject({ code: 'stream_error', retryable: false, attempts: 1 });
      expect(error!.partial?.choices[0]!.message.content).toBe('Hel');
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('broken streams', () => {
    it('fails a body cut mid-stream with truncated or connection_error, keeping the partial', async () => {
      server.handle((_req, res) => {
        sseHead(res);
        res.write(sseWire([chunk({ content: 'Hel' }), chunk({ content: 'lo' })], { done: false }));
        setTimeout(() => res.socket?.destroy(), 20);
      });
      const { error } = await outcome(client().complete(request));
      expect(['truncated', 'connection_error']).toContain(error?.code);
      expect(error!.partial?.choices[0]!.message.content).toBe('Hello');
      // Output had been emitted, so it was not retried.
      expect(server.requests).toHaveLength(1);
    });

    it('fails a refused connection with a retryable connection_error after its retries', async () => {
      const closed = await startLoopback();
      const url = closed.baseURL;
      await closed.close();
      const { error } = await outcome(client({ baseURL: url }).stream(request));
      expect(error).toMatchObject({ code: 'connection_error', retryable: true, attempts: 3 });
      expect(error!.message).toMatch(
        /^The connection failed: .*ECONNREFUSED.* \(after 3 attempts\)$/,
      );
    });

    it('times out when a server sends nothing but keep-alive comments', async () => {
      let timer: NodeJS.Timeout | undefined;
      server.handle((_req, res) => {
        sseHead(res);
        res.write(sseWire([chunk({ content: 'Hi' })], { done: false }));
        timer = setInterval(() => res.write(': keep-alive\n\n'), 10);
        res.on('close', () => clearInterval(timer));
      });
      const { values, error } = await outcome(
        client({ timeout: { idle: 150 } })
          .stream(request)
          .pipe(contentDeltas()),
      );
      expect(values).toEqual(['Hi']);
      expect(error).toMatchObject({ code: 'timeout', phase: 'idle' });
      expect(await settlesWithin(server.requests[0]!.closed, 2000)).toBe(true);
      clearInterval(timer);
    });

    it('times out waiting for headers, retries, and closes every attempt', async () => {
      server.handle(() => undefined); // never answers
      const { error } = await outcome(
        client({ timeout: { headers: 50 }, retry: { maxRetries: 1, baseDelay: 1 } }).stream(
          request,
        ),
      );
      expect(error).toMatchObject({ code: 'timeout', phase: 'headers', attempts: 2 });
      expect(server.requests).toHaveLength(2);
      for (const r of server.requests) expect(await settlesWithin(r.closed, 2000)).toBe(true);
    });
  });

  describe('cancellation (asserted from the server side)', () => {
    it('closes the connection when unsubscribed while waiting for headers', async () => {
      server.handle(() => undefined);
      const subscription = client()
        .stream(request)
        .subscribe({ error: () => undefined });
      const received = await server.nextRequest();
      subscription.unsubscribe();
      expect(await settlesWithin(received.closed, 1000)).toBe(true);
    });

    it('closes the connection when unsubscribed mid-body', async () => {
      server.handle((_req, res) => {
        sseHead(res);
        res.write(sseWire([chunk({ content: 'first' })], { done: false }));
      });
      const received = server.nextRequest();
      const text = await lastValueFrom(client().stream(request).pipe(contentDeltas(), first()));
      expect(text).toBe('first');
      expect(await settlesWithin((await received).closed, 1000)).toBe(true);
    });

    it('closes the connection after take(n)', async () => {
      server.handle((_req, res) => {
        sseHead(res);
        let i = 0;
        const timer = setInterval(
          () => res.write(sseWire([chunk({ content: `${i++}` })], { done: false })),
          5,
        );
        res.on('close', () => clearInterval(timer));
      });
      const received = server.nextRequest();
      const text = await lastValueFrom(
        client().stream(request).pipe(contentDeltas(), take(3), toArray()),
      );
      expect(text).toEqual(['0', '1', '2']);
      expect(await settlesWithin((await received).closed, 1000)).toBe(true);
    });

    it('closes the connection when takeUntil fires', async () => {
      server.handle((_req, res) => {
        sseHead(res);
        res.write(sseWire([chunk({ content: 'slow' })], { done: false }));
      });
      const received = server.nextRequest();
      const text = await lastValueFrom(
        client()
          .stream(request)
          .pipe(contentDeltas(), takeUntil(timer(50)), toArray()),
      );
      expect(text).toEqual(['slow']);
      expect(await settlesWithin((await received).closed, 1000)).toBe(true);
    });

    it('fails with aborted when the signal aborts, and closes the connection', async () => {
      server.handle((_req, res) => {
        sseHead(res);
        res.write(sseWire([chunk({ content: 'partial' })], { done: false }));
      });
      const controller = new AbortController();
      const received = server.nextRequest();
      const result = outcome(client().complete(request, { signal: controller.signal }));
      await received;
      await delay(20);
      controller.abort();
      const { error } = await result;
      expect(error?.code).toBe('aborted');
      expect(error?.partial?.choices[0]!.message.content).toBe('partial');
      expect(await settlesWithin((await received).closed, 1000)).toBe(true);
    });

    it('fails an unusable baseURL with validation_error and sends nothing', async () => {
      for (const baseURL of ['ftp://127.0.0.1/v1', 'not a url', '/v1', 'ftp://me:s3cretpw@h/v1']) {
        const { error } = await outcome(client({ baseURL }).stream(request));
        expect(error).toMatchObject({ code: 'validation_error', retryable: false });
        expect(error!.message).toMatch(/Invalid baseURL/);
        expect(error!.message).not.toContain('s3cretpw');
      }
      expect(server.requests).toHaveLength(0);
    });

    it('sends nothing when the signal is already aborted', async () => {
      const { error } = await outcome(client({ signal: AbortSignal.abort() }).stream(request));
      expect(error?.code).toBe('aborted');
      await delay(20);
      expect(server.requests).toHaveLength(0);
    });
  });
});
