import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import {
  mockAnswerText,
  REALISTIC_PACE,
  startMockServer,
  type MockServer,
  type MockServerOptions,
} from '../../src/mock-server';
import { tokenize } from '../../src/mock-server/answers';
import { createPacer, resolvePace } from '../../src/mock-server/pacing';
import {
  contentDeltas,
  fetchTransport,
  finalCompletion,
  RxChatError,
  undiciTransport,
  type ChatRequest,
} from '../../src/node';
import { delay, settlesWithin } from '../helpers/loopback';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { mockClient, serversClosedAfterEach } from './mock-clients';

// The server itself: routes, errors, recording, connections, pacing, cancellation, and a close()
// that leaves nothing behind.

const request: ChatRequest = { model: 'mock-1', messages: [{ role: 'user', content: 'Hi there' }] };

expectNothingLeftOpen();

const serve = serversClosedAfterEach();
const clientOf = mockClient;

async function failure(source: ReturnType<ReturnType<typeof clientOf>['complete']>) {
  try {
    await lastValueFrom(source);
  } catch (error) {
    if (RxChatError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

/** The parts of a JSON response body these tests read. */
interface JsonBody {
  error: { message: string; type: string; code: string | null; param: string | null };
  object?: string;
  data: { id: string }[];
}

/** A raw request, for what the client would refuse to send. */
async function raw(server: MockServer, path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url.replace(/\/v1$/, '')}${path}`, init);
  const text = await response.text();
  let json = undefined as unknown as JsonBody;
  try {
    json = JSON.parse(text) as JsonBody;
  } catch {
    // Not JSON: the tests that read `json` expect JSON.
  }
  return { status: response.status, headers: response.headers, text, json };
}

describe('startMockServer', () => {
  it('listens on 127.0.0.1 at a random port by default and gives the /v1 root', async () => {
    const server = await serve();
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const other = await serve();
    expect(other.url).not.toBe(server.url);
  });

  it.each<[string, MockServerOptions]>([
    ['an unknown dialect', { dialect: 'klingon' as never }],
    ['an unknown fault', { fault: 'explode' }],
    ['a bad fault among good ones', { fault: ['error-before', 'status:99'] }],
    ['a jitter above 1', { pace: { jitter: 2 } }],
    ['a negative first token wait', { pace: { firstTokenMs: -1 } }],
    ['an unknown pace', { pace: 'warp' as never }],
    ['empty model names', { models: [''] }],
  ])('rejects %s', async (_what, options) => {
    await expect(startMockServer(options)).rejects.toThrow(RangeError);
  });

  it('close() is idempotent', async () => {
    const server = await serve();
    await server.close();
    await server.close();
  });
});

describe('routes and errors', () => {
  it('GET /v1/models lists the models', async () => {
    const server = await serve({ models: ['mock-1', 'mock-large'] });
    const { status, json } = await raw(server, '/v1/models');
    expect(status).toBe(200);
    expect(json.object).toBe('list');
    expect(json.data.map((m) => m.id)).toEqual(['mock-1', 'mock-large']);
    expect((await raw(await serve(), '/v1/models')).json.data[0]!.id).toBe('mock-1');
  });

  it.each<[string, unknown, string | null, string]>([
    ['invalid JSON', '{"model": ', null, 'parse the JSON body'],
    ['a body that is no object', '[1, 2]', null, 'JSON object'],
    ['a missing model', { messages: [{ role: 'user', content: 'x' }] }, 'model', 'model'],
    ['an empty model', { model: '', messages: [{ role: 'user', content: 'x' }] }, 'model', 'model'],
    ['missing messages', { model: 'mock-1' }, 'messages', 'messages'],
    ['empty messages', { model: 'mock-1', messages: [] }, 'messages', 'empty array'],
    [
      'a message without role',
      { model: 'm', messages: [{ content: 'x' }] },
      'messages.[0].role',
      'role',
    ],
    ['n = 0', { ...request, n: 0 }, 'n', "'n'"],
    ['a bad max_tokens', { ...request, max_tokens: 1.5 }, 'max_tokens', 'max_tokens'],
  ])('answers 400 invalid_request_error for %s', async (_what, body, param, message) => {
    const server = await serve();
    const response = await raw(server, '/v1/chat/completions', {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.json.error).toMatchObject({ type: 'invalid_request_error', param });
    expect(response.json.error.message).toContain(message);
    expect(Object.keys(response.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });

  it('a 400 reaches the client as http_error with the provider details, not retried', async () => {
    const server = await serve();
    const error = await failure(
      clientOf(server, { retry: {} }).complete({
        ...request,
        tools: [{ type: 'function', function: { name: 'a' } }],
        tool_choice: { type: 'function', function: { name: 'b' } },
      }),
    );
    expect(error.code).toBe('http_error');
    expect(error.status).toBe(400);
    expect(error.provider).toMatchObject({ type: 'invalid_request_error', param: 'tool_choice' });
    expect(error.attempts).toBe(1);
  });

  it('answers 401 invalid_api_key for a missing or wrong key when one is required', async () => {
    const server = await serve({ apiKey: 'sk-right' });
    const wrong = await failure(clientOf(server, { apiKey: 'sk-wrong' }).complete(request));
    expect(wrong.status).toBe(401);
    expect(wrong.provider).toMatchObject({
      code: 'invalid_api_key',
      type: 'invalid_request_error',
    });
    expect(wrong.message).not.toContain('sk-wrong');
    const missing = await raw(server, '/v1/chat/completions', { method: 'POST', body: '{}' });
    expect(missing.status).toBe(401);
    expect(missing.json.error.code).toBe('invalid_api_key');
    expect((await raw(server, '/v1/models')).status).toBe(401);

    const right = await lastValueFrom(clientOf(server, { apiKey: 'sk-right' }).complete(request));
    expect(right.choices[0]!.message.content).toBe(mockAnswerText('Hi there'));
  });

  it('the azure dialect also takes the key in api-key', async () => {
    const server = await serve({ apiKey: 'sk-right', dialect: 'azure' });
    const completion = await lastValueFrom(
      clientOf(server, { headers: { authorization: null, 'api-key': 'sk-right' } }).complete(
        request,
      ),
    );
    expect(completion.choices[0]!.message.content).toBe(mockAnswerText('Hi there'));
  });

  it('answers 404 for unknown routes, including paths without /v1', async () => {
    const server = await serve();
    const response = await raw(server, '/v1/completions', { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(response.json.error).toMatchObject({
      message: 'Invalid URL (POST /v1/completions)',
      type: 'invalid_request_error',
    });
    const error = await failure(
      clientOf(server, { baseURL: server.url.replace(/\/v1$/, '') }).complete(request),
    );
    expect(error.status).toBe(404);
  });

  it('answers 405 with Allow for a wrong method', async () => {
    const server = await serve();
    const get = await raw(server, '/v1/chat/completions');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(get.json.error.type).toBe('invalid_request_error');
    expect((await raw(server, '/v1/models', { method: 'POST' })).status).toBe(405);
  });

  it('a status fault applies to every route, after routing and auth', async () => {
    const server = await serve({ fault: 'status:500', apiKey: 'k' });
    expect(
      (await raw(server, '/v1/models', { headers: { authorization: 'Bearer k' } })).status,
    ).toBe(500);
    expect((await raw(server, '/v1/models')).status).toBe(401);
    expect((await raw(server, '/v1/nothing')).status).toBe(404);
  });
});

describe('CORS, for pages on other origins', () => {
  it('answers a preflight with what the page asked to send, and does not record it', async () => {
    const server = await serve();
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://127.0.0.1:4200',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-mock-fault',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(response.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, x-mock-fault',
    );
    expect(server.requests).toHaveLength(0);
  });

  it('lets the page read the answer and its request id', async () => {
    const server = await serve();
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:4200' },
      body: JSON.stringify({ ...request, stream: true }),
    });
    await response.text();
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-expose-headers')).toMatch(/x-request-id/);
    expect(server.requests).toHaveLength(1);
  });

  it('allows only the given origin, or none with cors: false', async () => {
    const only = await serve({ cors: 'http://app.test' });
    const a = await fetch(`${only.url}/models`);
    expect(a.headers.get('access-control-allow-origin')).toBe('http://app.test');
    expect(a.headers.get('vary')).toMatch(/origin/i);
    const off = await serve({ cors: false });
    const b = await fetch(`${off.url}/models`, { method: 'OPTIONS' });
    expect(b.headers.get('access-control-allow-origin')).toBeNull();
    expect(b.status).toBe(405); // OPTIONS is just a wrong method then
  });
});

describe('recording', () => {
  it('records every request with its method, path, headers, parsed body, dialect and faults', async () => {
    const server = await serve({ dialect: 'groq', fault: 'slow-headers:1' });
    const client = clientOf(server, {
      headers: { 'FC-Customer': 'default' },
      query: { 'api-version': '1' },
    });
    await lastValueFrom(
      client.complete(request, { headers: { 'FC-Customer': 'acme', 'FC-Tag': 'beta' } }),
    );
    await raw(server, '/v1/models');

    expect(server.requests).toHaveLength(2);
    const [chat, models] = server.requests;
    expect(chat).toMatchObject({
      method: 'POST',
      path: '/v1/chat/completions',
      url: '/v1/chat/completions?api-version=1',
      dialect: 'groq',
      faults: ['slow-headers:1'],
      body: { ...request, stream: true, stream_options: { include_usage: true } },
    });
    expect(chat!.headers['fc-customer']).toBe('acme');
    expect(chat!.headers['fc-tag']).toBe('beta');
    expect(chat!.headers.authorization).toBe('Bearer sk-mock');
    expect(await chat!.closed).toEqual({ byClient: false });
    expect(models).toMatchObject({ method: 'GET', path: '/v1/models', body: undefined });
  });

  it('records the request id it sends, which the client reports', async () => {
    const server = await serve();
    const events = await lastValueFrom(clientOf(server).stream(request).pipe(toArray()));
    expect(events[0]).toMatchObject({ type: 'response', status: 200, requestId: 'req_mock_1' });
  });

  it('tracks connections, reused while kept alive, and sees them close', async () => {
    const server = await serve();
    const client = clientOf(server);
    for (let i = 0; i < 3; i++) await lastValueFrom(client.complete(request));
    expect(server.connections.length).toBeGreaterThanOrEqual(1);
    expect(server.connections.length).toBeLessThanOrEqual(2);
    expect(server.connections[0]!.remotePort).toBeGreaterThan(0);
    expect(server.connections[0]!.isClosed()).toBe(false);
    await server.close();
    await Promise.all(server.connections.map((c) => c.closed));
    expect(server.connections.every((c) => c.isClosed())).toBe(true);
  });
});

describe('cancellation', () => {
  it.each([
    ['undici', () => undiciTransport()],
    ['fetch', () => fetchTransport()],
  ])(
    'unsubscribing mid-stream (%s) closes the request: byClient true',
    async (_name, transport) => {
      const server = await serve({ pace: 'realistic' });
      const client = clientOf(server, { transport: transport() });
      const first = await firstValueFrom(
        client.stream(request).pipe(contentDeltas(), take(2), toArray()),
      );
      expect(first).toEqual(tokenize(mockAnswerText('Hi there')).slice(0, 2));
      const [received] = server.requests;
      expect(await settlesWithin(received!.closed, 1000)).toBe(true);
      expect(await received!.closed).toEqual({ byClient: true });
      expect(await settlesWithin(server.connections[0]!.closed, 1000)).toBe(true);
    },
  );

  it('a signal abort during slow headers closes the request too', async () => {
    const server = await serve({ fault: 'slow-headers:5000' });
    const abort = new AbortController();
    const outcome = failure(clientOf(server).complete(request, { signal: abort.signal }));
    await delay(50);
    abort.abort();
    expect((await outcome).code).toBe('aborted');
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
  });

  it('close() ends streams in progress (not the client leaving) and clears their timers', async () => {
    const server = await serve({ fault: 'stall:keepalive' });
    const outcome = failure(clientOf(server, { timeout: false }).complete(request));
    await delay(150);
    await server.close();
    expect(['connection_error', 'truncated']).toContain((await outcome).code);
    expect(await server.requests[0]!.closed).toEqual({ byClient: false });
  });
});

describe('pacing', () => {
  it("'none' writes one event per write as fast as it can", async () => {
    const server = await serve();
    const started = Date.now();
    await lastValueFrom(clientOf(server).complete(request));
    expect(Date.now() - started).toBeLessThan(200);
  });

  it("'realistic' waits about 300 ms for the first token, then about 60 tokens a second", async () => {
    expect(REALISTIC_PACE).toEqual({ firstTokenMs: 300, tokensPerSecond: 60, jitter: 0.3 });
    const server = await serve({ pace: 'realistic' });
    const started = Date.now();
    const arrivals = await new Promise<number[]>((resolve, reject) => {
      const times: number[] = [];
      clientOf(server)
        .stream(request)
        .pipe(contentDeltas())
        .subscribe({
          next: () => times.push(Date.now() - started),
          error: reject,
          complete: () => resolve(times),
        });
    });
    const count = tokenize(mockAnswerText('Hi there')).length;
    expect(arrivals).toHaveLength(count);
    expect(arrivals[0]).toBeGreaterThanOrEqual(200); // 300 ms ± 30 %, less timer slack
    // The rest at 60 tokens a second ± 30 %: at least 70 % of 1000/60 ms each, on average.
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual((count - 1) * (1000 / 60) * 0.6);
  });

  it('x-mock-pace: realistic slows one request of a fast server', async () => {
    const server = await serve();
    const client = clientOf(server);
    const started = Date.now();
    await firstValueFrom(
      client.stream(request, { headers: { 'x-mock-pace': 'realistic' } }).pipe(contentDeltas()),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(200); // 300 ms ± 30 %
    expect(server.requests[0]!.faults).toEqual([]);
  });

  it('x-mock-pace takes PaceOptions as JSON; a bad value is a 400 naming the header', async () => {
    const server = await serve();
    const client = clientOf(server);
    const started = Date.now();
    const pace = JSON.stringify({ firstTokenMs: 250, tokensPerSecond: 1000, jitter: 0 });
    await firstValueFrom(
      client.stream(request, { headers: { 'x-mock-pace': pace } }).pipe(contentDeltas()),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    for (const bad of ['{"jitter":2}', '{nope']) {
      const error = await firstValueFrom(
        client.complete(request, { headers: { 'x-mock-pace': bad }, retry: false }),
      ).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'http_error', status: 400 });
      expect((error as { provider?: unknown }).provider).toMatchObject({ param: 'x-mock-pace' });
    }
  });

  it('paces with seeded jitter: the same seed gives the same waits', () => {
    const pace = resolvePace({ firstTokenMs: 100, tokensPerSecond: 50, jitter: 0.5, seed: 7 });
    const run = () => {
      const pacer = createPacer(pace, 1);
      return [pacer.first(), ...Array.from({ length: 20 }, () => pacer.token())];
    };
    const waits = run();
    expect(run()).toEqual(waits);
    expect(waits[0]).toBeGreaterThanOrEqual(50);
    expect(waits[0]).toBeLessThanOrEqual(150);
    for (const wait of waits.slice(1)) {
      expect(wait).toBeGreaterThanOrEqual(10);
      expect(wait).toBeLessThanOrEqual(30);
    }
    expect(new Set(waits.slice(1)).size).toBeGreaterThan(1);
    expect(createPacer(resolvePace('none'), 1).first()).toBe(0);
  });

  it('a custom pace delays the first token by firstTokenMs', async () => {
    const server = await serve({ pace: { firstTokenMs: 120 } });
    const started = Date.now();
    const completion = await lastValueFrom(
      clientOf(server).stream(request).pipe(finalCompletion()),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    expect(completion.choices[0]!.message.content).toBe(mockAnswerText('Hi there'));
  });
});
