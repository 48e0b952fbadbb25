import { lastValueFrom, type Observable } from 'rxjs';
import { mockAnswerText, type MockServer } from '../../src/mock-server';
import { tokenize } from '../../src/mock-server/answers';
import { parseFault, parseFaults } from '../../src/mock-server/faults';
import { scriptStream } from '../../src/mock-server/stream-script';
import {
  RxChatError,
  type ChatClientOptions,
  type ChatCompletion,
  type ChatRequest,
} from '../../src/node';
import { mockClient, serversClosedAfterEach } from './mock-clients';
import { settlesWithin } from '../helpers/loopback';

// Every fault, injected by a real server, and the outcome the real rxchat client reports.

const prompt = 'Count to ten please';
const request: ChatRequest = { model: 'mock-1', messages: [{ role: 'user', content: prompt }] };
const tokens = tokenize(mockAnswerText(prompt));

const startServer = serversClosedAfterEach();
const serve = (fault?: string | string[]) => startServer({ fault, apiKey: 'sk-mock' });

const clientOf = (server: MockServer, options: ChatClientOptions = {}) =>
  mockClient(server, { retry: { maxRetries: 2, baseDelay: 1, maxDelay: 5 }, ...options });

async function failure(source: Observable<ChatCompletion>): Promise<RxChatError> {
  try {
    const value = await lastValueFrom(source);
    throw new Error(`expected a failure, got ${JSON.stringify(value).slice(0, 200)}`);
  } catch (error) {
    if (!RxChatError.isInstance(error)) throw error;
    return error;
  }
}

const contentOf = (error: RxChatError) => error.partial?.choices[0]?.message.content ?? null;

describe('fault specs', () => {
  it('parses every documented form', () => {
    expect(parseFault('status:429')).toEqual({ kind: 'status', spec: 'status:429', status: 429 });
    expect(parseFault('status:503:retry-after=2')).toMatchObject({
      status: 503,
      retryAfterSeconds: 2,
    });
    expect(parseFault('status:429:retry-after-ms=50')).toMatchObject({ retryAfterMs: 50 });
    expect(parseFault('error-before')).toMatchObject({ kind: 'error-before' });
    expect(parseFault('error-after:3')).toMatchObject({ kind: 'error-after', after: 3 });
    expect(parseFault('disconnect-after:0')).toMatchObject({ kind: 'disconnect-after', after: 0 });
    expect(parseFault('stall')).toMatchObject({ kind: 'stall', keepAlive: false });
    expect(parseFault('stall:keepalive')).toMatchObject({ kind: 'stall', keepAlive: true });
    expect(parseFault('malformed-json')).toMatchObject({ kind: 'malformed-json', after: 0 });
    expect(parseFault('malformed-json:4')).toMatchObject({ after: 4 });
    expect(parseFault('oversized-event')).toMatchObject({ bytes: 5 * 1024 * 1024 });
    expect(parseFault('oversized-event:10')).toMatchObject({ bytes: 10 });
    expect(parseFault('slow-headers:300')).toMatchObject({ kind: 'slow-headers', ms: 300 });
    expect(parseFaults(['slow-headers:1, error-after:2', 'none']).map((f) => f.kind)).toEqual([
      'slow-headers',
      'error-after',
    ]);
  });

  it.each([
    'status',
    'status:200',
    'status:429:retry-after=soon',
    'status:429:wait=1',
    'error-before:1',
    'error-after',
    'error-after:-1',
    'stall:forever',
    'slow-headers',
    'explode',
  ])('rejects %s with a RangeError', (spec) => {
    expect(() => parseFault(spec)).toThrow(RangeError);
  });

  it('cuts at the earliest ending fault and inserts events by token position', () => {
    const frame = (tokens: boolean, kind: 'data' | 'done' = 'data') => ({
      text: 'x',
      kind,
      tokens,
    });
    const frames = [
      frame(false),
      frame(true),
      frame(true),
      frame(true),
      frame(false),
      frame(false, 'done'),
    ];
    const errors = () => [{ text: 'error', kind: 'data' as const, tokens: false }];
    const script = scriptStream(frames, parseFaults('disconnect-after:2, error-after:3'), errors);
    expect(script).toEqual({ frames: frames.slice(0, 3), ending: 'destroy' });
    const malformed = scriptStream(frames, parseFaults('malformed-json:1, stall'), errors);
    expect(malformed.frames).toEqual(frames.slice(0, 1)); // the stall comes first
    expect(malformed.ending).toBe('stall');
    const late = scriptStream(frames, parseFaults('error-after:99'), errors);
    expect(late.frames.map((f) => f.text)).toEqual(['x', 'x', 'x', 'x', 'error']);
  });
});

describe('faults against the rxchat client', () => {
  it('status:429 fails with http_error 429 and the retry-after-ms hint', async () => {
    const server = await serve('status:429:retry-after-ms=50');
    const error = await failure(clientOf(server, { retry: false }).complete(request));
    expect(error.code).toBe('http_error');
    expect(error.status).toBe(429);
    expect(error.retryAfterMs).toBe(50);
    expect(error.retryable).toBe(true);
    expect(error.provider).toMatchObject({ code: 'rate_limit_exceeded', type: 'requests' });
    expect(error.requestId).toBe('req_mock_1');
    expect(server.requests).toHaveLength(1);
  });

  it('status:503:retry-after=2 reads as 2000 ms; with retries the client tries each time', async () => {
    const server = await serve('status:503:retry-after=2');
    const error = await failure(
      clientOf(server, { retry: { maxRetries: 2, maxRetryAfter: 5 } }).complete(request),
    );
    expect(error.status).toBe(503);
    expect(error.retryAfterMs).toBe(2000);
    expect(error.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('x-mock-fault: none switches a server fault off for one request', async () => {
    const server = await serve('status:429');
    const completion = await lastValueFrom(
      clientOf(server).complete(request, { headers: { 'x-mock-fault': 'none' } }),
    );
    expect(completion.choices[0]!.message.content).toBe(mockAnswerText(prompt));
    expect(server.requests[0]!.faults).toEqual([]);
  });

  it('error-before gives stream_error, retried before any output, failing every time', async () => {
    const server = await serve('error-before');
    const error = await failure(clientOf(server).complete(request));
    expect(error.code).toBe('stream_error');
    expect(error.provider?.code).toBe('rate_limit_exceeded');
    expect(error.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
    expect(contentOf(error)).toBeNull();
  });

  it('error-after:2 gives stream_error with the partial content and no retry', async () => {
    const server = await serve('error-after:2');
    const error = await failure(clientOf(server).complete(request));
    expect(error.code).toBe('stream_error');
    expect(error.provider?.code).toBe('server_error');
    expect(contentOf(error)).toBe(tokens.slice(0, 2).join(''));
    expect(error.attempts).toBe(1);
    expect(server.requests).toHaveLength(1);
  });

  it.each([
    ['groq', 'event: error (E2)'],
    ['openrouter', 'an error chunk then [DONE] (E1)'],
  ])('error-after in the %s dialect is %s, read as stream_error', async (dialect) => {
    const server = await serve('error-after:1');
    const error = await failure(
      clientOf(server).complete(request, { headers: { 'x-mock-dialect': dialect } }),
    );
    expect(error.code).toBe('stream_error');
    expect(contentOf(error)).toBe(tokens[0]);
  });

  it('disconnect-after:3 cuts the connection: truncated or connection_error, with the partial', async () => {
    const server = await serve('disconnect-after:3');
    const error = await failure(clientOf(server).complete(request));
    expect(['truncated', 'connection_error']).toContain(error.code);
    expect(contentOf(error)).toBe(tokens.slice(0, 3).join(''));
    expect(server.requests).toHaveLength(1); // output came first: no retry
    expect(await server.requests[0]!.closed).toEqual({ byClient: false });
  });

  it('stall:keepalive trips the idle timeout (comments are no data) and the server sees the client leave', async () => {
    const server = await serve('stall:keepalive');
    const error = await failure(
      clientOf(server, { retry: false, timeout: { idle: 200 } }).complete(request),
    );
    expect(error.code).toBe('timeout');
    expect(error.phase).toBe('idle');
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
  });

  it('stall:keepalive really sends a comment every 100 ms', async () => {
    const server = await serve('stall:keepalive');
    const abort = new AbortController();
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-mock' },
      body: JSON.stringify({ ...request, stream: true }),
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while ((text.match(/: keep-alive/g) ?? []).length < 2) {
      text += decoder.decode((await reader.read()).value, { stream: true });
    }
    abort.abort();
    expect(text).toMatch(/^data: .*"role":"assistant".*\n\n(: keep-alive\n\n){2}$/s);
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
  });

  it('stall (silent) trips the idle timeout too', async () => {
    const server = await serve('stall');
    const error = await failure(
      clientOf(server, { retry: false, timeout: { idle: 150 } }).complete(request),
    );
    expect(error.phase).toBe('idle');
  });

  it('malformed-json gives parse_error', async () => {
    const server = await serve('malformed-json');
    const error = await failure(clientOf(server).complete(request));
    expect(error.code).toBe('parse_error');
    expect(server.requests).toHaveLength(1);
  });

  it('malformed-json:4 breaks after four tokens', async () => {
    const server = await serve('malformed-json:4');
    const error = await failure(clientOf(server).complete(request));
    expect(error.code).toBe('parse_error');
    expect(contentOf(error)).toBe(tokens.slice(0, 4).join(''));
  });

  it('oversized-event:100000 gives event_too_large with maxEventBytes 50000', async () => {
    const server = await serve('oversized-event:100000');
    const error = await failure(clientOf(server, { maxEventBytes: 50_000 }).complete(request));
    expect(error.code).toBe('event_too_large');
  });

  it('an oversized event is otherwise harmless: a valid chunk without choices', async () => {
    const server = await serve('oversized-event:100000');
    const completion = await lastValueFrom(clientOf(server).complete(request));
    expect(completion.choices[0]!.message.content).toBe(mockAnswerText(prompt));
  });

  it('the default oversized event (5 MiB) beats the client default bound (4 MiB)', async () => {
    const server = await serve('oversized-event');
    const error = await failure(clientOf(server).complete(request));
    expect(error.code).toBe('event_too_large');
  });

  it('slow-headers:300 with timeout.headers 100 gives timeout headers', async () => {
    const server = await serve('slow-headers:300');
    const error = await failure(
      clientOf(server, { retry: false, timeout: { headers: 100 } }).complete(request),
    );
    expect(error.code).toBe('timeout');
    expect(error.phase).toBe('headers');
    expect(await settlesWithin(server.requests[0]!.closed, 500)).toBe(true);
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
  });

  it('slow-headers delays but does not break an answer', async () => {
    const server = await serve('slow-headers:120');
    const started = Date.now();
    const completion = await lastValueFrom(clientOf(server).complete(request));
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(completion.choices[0]!.message.content).toBe(mockAnswerText(prompt));
  });
});

describe('per-request selection', () => {
  it('x-mock-fault applies to that request only', async () => {
    const server = await serve();
    const client = clientOf(server);
    const error = await failure(
      client.complete(request, { headers: { 'x-mock-fault': 'error-after:1, slow-headers:10' } }),
    );
    expect(error.code).toBe('stream_error');
    const completion = await lastValueFrom(client.complete(request));
    expect(completion.choices[0]!.message.content).toBe(mockAnswerText(prompt));
    expect(server.requests.map((r) => r.faults)).toEqual([
      ['error-after:1', 'slow-headers:10'],
      [],
    ]);
  });

  it('an unknown x-mock-fault, x-mock-dialect or x-mock-pace is a 400 naming the header', async () => {
    const server = await serve();
    for (const [name, value] of [
      ['x-mock-fault', 'explode'],
      ['x-mock-dialect', 'klingon'],
      ['x-mock-pace', 'warp'],
    ] as const) {
      const error = await failure(
        clientOf(server).complete(request, { headers: { [name]: value } }),
      );
      expect(error.status).toBe(400);
      expect(error.provider).toMatchObject({ type: 'invalid_request_error', param: name });
    }
  });

  it('x-mock-dialect ollama turns error-before into a plain JSON 429 (F5)', async () => {
    const server = await serve('error-before');
    const error = await failure(
      clientOf(server, { retry: false }).complete(request, {
        headers: { 'x-mock-dialect': 'ollama' },
      }),
    );
    expect(error.code).toBe('http_error');
    expect(error.status).toBe(429);
  });
});

describe('faults without streaming', () => {
  const post = async (fault: string) => {
    const server = await serve(fault);
    return fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-mock' },
      body: JSON.stringify(request),
    });
  };

  it('error-before and error-after are statuses 429 and 500', async () => {
    expect((await post('error-before')).status).toBe(429);
    const response = await post('error-after:3');
    expect(response.status).toBe(500);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'server_error',
    );
  });

  it('malformed-json sends a truncated body, disconnect-after cuts it', async () => {
    const malformed = await post('malformed-json');
    expect(malformed.status).toBe(200);
    await expect(malformed.json()).rejects.toThrow();
    const cut = await post('disconnect-after:1');
    await expect(cut.text()).rejects.toThrow();
  });

  it('oversized-event pads the body', async () => {
    const response = await post('oversized-event:1000');
    const body = (await response.json()) as { mock_padding: string; choices: unknown[] };
    expect(body.mock_padding).toHaveLength(1000);
    expect(body.choices).toHaveLength(1);
  });
});

describe('fault limits and recording bounds', () => {
  it('refuses waits a timer cannot make, oversized events that would exhaust memory, and loose options', () => {
    const { parseFault } = jest.requireActual<typeof import('../../src/mock-server/faults')>(
      '../../src/mock-server/faults',
    );
    expect(() => parseFault('slow-headers:3000000000')).toThrow(/at most 2147483647/);
    expect(() => parseFault('oversized-event:536870000')).toThrow(/at most 67108864/);
    expect(() => parseFault('status:429:retry-after=1=2')).toThrow(/more than one =/);
    expect(parseFault('slow-headers:2147483647')).toMatchObject({ ms: 2147483647 });
  });

  it('keeps only the latest maxRecorded requests and connections', async () => {
    const { startMockServer } =
      jest.requireActual<typeof import('../../src/mock-server')>('../../src/mock-server');
    const server = await startMockServer({ maxRecorded: 2 });
    try {
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${server.url}/models`, { headers: { connection: 'close' } });
        await response.text();
      }
      expect(server.requests).toHaveLength(2);
      expect(server.connections.length).toBeLessThanOrEqual(2);
      await expect(startMockServer({ maxRecorded: -1 })).rejects.toThrow(RangeError);
    } finally {
      await server.close();
    }
  });
});
