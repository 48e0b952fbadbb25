import { inspect } from 'node:util';
import { lastValueFrom, tap, toArray, type Observable } from 'rxjs';
import {
  createChatClient,
  fetchTransport,
  RxChatError,
  undiciTransport,
  type ChatHttpRequest,
  type ChatTransport,
} from '../../src/node';
import { sseHead, startLoopback, type Loopback } from '../helpers/loopback';

const KEY = 'sk-proj-SECRET0123456789abcdef';
const request = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };

/** The five ways an object gets shown to a person. */
function renderings(value: object): string[] {
  const error = value as Error;
  return [
    String(error.message ?? ''),
    String(error.stack ?? ''),
    String(value),
    JSON.stringify(value),
    inspect(value, { depth: 10, showHidden: false }),
  ];
}

async function failure(source: Observable<unknown>): Promise<RxChatError> {
  try {
    await lastValueFrom(source);
  } catch (error) {
    return error as RxChatError;
  }
  throw new Error('expected the stream to fail');
}

describe('the API key never shows', () => {
  let server: Loopback;
  beforeEach(async () => {
    server = await startLoopback();
  });
  afterEach(() => server.close());

  it.each([
    ['undici', () => undiciTransport()],
    ['fetch', () => fetchTransport()],
  ])(
    'not in an http_error whose provider message echoes the key (%s)',
    async (_name, transport) => {
      server.handle((_req, res) => {
        res.writeHead(401, {
          'content-type': 'application/json',
          'x-echo': `Bearer ${KEY}`,
        });
        res.end(
          JSON.stringify({
            error: {
              message: `Incorrect API key provided: ${KEY}.`,
              type: 'invalid_request_error',
            },
          }),
        );
      });
      const client = createChatClient({
        baseURL: server.baseURL,
        apiKey: KEY,
        transport: transport(),
      });
      const error = await failure(client.stream(request));
      expect(error.code).toBe('http_error');
      expect(error.message).toMatch(/Incorrect API key provided: \[redacted\]/);
      for (const text of renderings(error)) expect(text).not.toContain(KEY);
      expect(JSON.stringify(error.provider)).not.toContain(KEY);
      expect(JSON.stringify(error.headers)).not.toContain(KEY);
      expect(error.data ?? '').not.toContain(KEY);
    },
  );

  it('not in a stream_error that quotes the key', async () => {
    server.handle((_req, res) => {
      sseHead(res);
      res.end(`data: {"error":{"message":"key ${KEY} is over quota"}}\n\n`);
    });
    const client = createChatClient({ baseURL: server.baseURL, apiKey: KEY, retry: false });
    const error = await failure(client.complete(request));
    expect(error.code).toBe('stream_error');
    for (const text of renderings(error)) expect(text).not.toContain(KEY);
  });

  it.each(['timeout', 'connection_error', 'validation_error', 'aborted'])(
    'not in a %s error',
    async (code) => {
      server.handle(() => undefined);
      const transport: ChatTransport =
        code === 'connection_error'
          ? fetchTransport({
              fetch: () => Promise.reject(new TypeError(`fetch failed for ${KEY}`)),
            })
          : undiciTransport();
      const client = createChatClient({
        baseURL: server.baseURL,
        apiKey: KEY,
        transport,
        retry: false,
        timeout: { headers: 30 },
        signal: code === 'aborted' ? AbortSignal.abort(new Error(`stop ${KEY}`)) : undefined,
      });
      const bad =
        code === 'validation_error' ? { model: 1 as unknown as string, messages: [] } : request;
      const error = await failure(client.stream(bad));
      expect(error.code).toBe(code);
      for (const text of renderings(error)) expect(text).not.toContain(KEY);
      const cause = error.cause as Error | undefined;
      if (cause instanceof Error)
        for (const text of renderings(cause)) expect(text).not.toContain(KEY);
    },
  );

  it('not in the request object a transport receives, yet the transport sends it', async () => {
    let seen: ChatHttpRequest | undefined;
    const inner = undiciTransport();
    const spy: ChatTransport = (req) => {
      seen = req;
      return inner(req);
    };
    server.handle((_req, res) => {
      sseHead(res);
      res.end('data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}\n\n');
    });
    const client = createChatClient({
      baseURL: server.baseURL,
      apiKey: KEY,
      transport: spy,
      headers: { 'x-api-key': 'other-secret-value' },
      query: { key: 'query-secret-value' },
    });
    await lastValueFrom(client.stream(request));
    expect(server.requests[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(Object.entries(seen!.headers)).toContainEqual(['authorization', `Bearer ${KEY}`]);
    for (const shown of [
      ...renderings(seen!),
      inspect(seen!.headers),
      JSON.stringify(seen!.headers),
    ]) {
      expect(shown).not.toContain(KEY);
      expect(shown).not.toContain('other-secret-value');
      expect(shown).not.toContain('query-secret-value');
    }
    expect(inspect(seen)).toMatch(/authorization: '\[redacted\]'/);
  });

  it('not in the URL: secret query values in any encoding, and keys written into baseURL', async () => {
    const sig = 'AbC+dEf/GhI=jkl';
    let seen: ChatHttpRequest | undefined;
    const client = createChatClient({
      baseURL: `${server.baseURL}?key=BASEURLSECRET99`,
      query: { sig, 'api-version': '1' },
      apiKey: KEY,
      transport: (req) => {
        seen = req;
        return fetchTransport({ fetch: () => Promise.reject(new TypeError(`failed: ${req.url}`)) })(
          req,
        );
      },
      retry: false,
    });
    const error = await failure(client.stream(request));
    expect(seen!.url).toContain(encodeURIComponent(sig));
    for (const text of [...renderings(error), ...renderings(seen!)]) {
      for (const secret of [sig, encodeURIComponent(sig), 'BASEURLSECRET99']) {
        expect(text).not.toContain(secret);
      }
    }
    expect(String(seen)).toMatch(/key=REDACTED/);
    expect(String(seen)).toMatch(/api-version=1/);
  });

  it('not in whatever a custom transport throws, nor in what shouldRetry sees', async () => {
    const axiosLike = Object.assign(new Error('Request failed'), {
      config: { headers: { Authorization: `Bearer ${KEY}` } },
    });
    const transport: ChatTransport = () => {
      throw axiosLike;
    };
    const seenByShouldRetry: string[] = [];
    const client = createChatClient({
      baseURL: server.baseURL,
      apiKey: KEY,
      transport,
      retry: {
        maxRetries: 1,
        baseDelay: 1,
        shouldRetry: (err) => {
          seenByShouldRetry.push(inspect(err, { depth: 10 }));
          return true;
        },
      },
    });
    const error = await failure(client.stream(request));
    expect(error.code).toBe('connection_error');
    expect(error.attempts).toBe(2);
    expect(inspect(error, { depth: 10 })).toContain('Request failed');
    expect(seenByShouldRetry).toHaveLength(1);
    for (const text of [...renderings(error), ...seenByShouldRetry]) {
      expect(text).not.toContain(KEY);
    }
  });

  it('not in the http_error that shouldRetry sees when a retryable status echoes the key', async () => {
    server.handle((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json', 'x-echo': KEY });
      res.end(JSON.stringify({ error: { message: `Overloaded for key ${KEY}`, type: 'server' } }));
    });
    const seen: unknown[] = [];
    const client = createChatClient({
      baseURL: server.baseURL,
      apiKey: KEY,
      retry: {
        maxRetries: 1,
        baseDelay: 1,
        shouldRetry: (err) => {
          seen.push(err);
          return true;
        },
      },
    });
    const error = await failure(client.stream(request));
    expect(error.code).toBe('http_error');
    expect(error.attempts).toBe(2);
    expect(seen).toHaveLength(1);
    expect((seen[0] as RxChatError).provider?.message).toBe('Overloaded for key [redacted]');
    for (const text of [...renderings(seen[0] as Error), ...renderings(error)]) {
      expect(text).not.toContain(KEY);
    }
  });

  it('not in the client object', () => {
    const client = createChatClient({ apiKey: KEY });
    for (const text of [inspect(client, { depth: 10 }), JSON.stringify(client), String(client)]) {
      expect(text).not.toContain(KEY);
    }
  });

  it('errors still name what happened', async () => {
    const error = new RxChatError('http_error', 'HTTP 500', { status: 500 });
    expect(error.retryable).toBe(true);
    expect(inspect(error)).toContain('HTTP 500');
  });
});

describe('secrets in every field, and headers named secret', () => {
  let server: Loopback;
  beforeEach(async () => {
    server = await startLoopback();
  });
  afterEach(() => server.close());

  const everywhere = (error: RxChatError) => [
    ...renderings(error),
    JSON.stringify(error.provider) ?? '',
    JSON.stringify(error.headers) ?? '',
    String(error.requestId),
    String(error.data),
  ];

  it.each([
    ['param', { message: 'Bad header', param: `authorization: Bearer ${KEY}` }],
    ['code', { message: 'Bad key', code: KEY }],
    ['type', { message: 'Bad key', type: `invalid_key_${KEY}` }],
    ['message of a list-wrapped error', { message: `Key ${KEY} is wrong`, code: 401 }],
  ])('not in an http_error whose provider %s echoes the key', async (_field, body) => {
    server.handle((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'x-request-id': `req-${KEY}` });
      res.end(JSON.stringify([{ error: body }]));
    });
    const client = createChatClient({ baseURL: server.baseURL, apiKey: KEY, retry: false });
    const error = await failure(client.stream(request));
    expect(error.code).toBe('http_error');
    for (const text of everywhere(error)) expect(text).not.toContain(KEY);
    // Only the key went: the rest of what the provider said is still there.
    expect(JSON.stringify(error.provider)).toContain('[redacted]');
    expect(error.requestId).toBe('req-[redacted]');
  });

  it('not in a stream_error whose code, type and param echo the key', async () => {
    server.handle((_req, res) => {
      sseHead(res);
      res.end(
        `event: error\ndata: ${JSON.stringify({ error: { message: 'no', code: KEY, type: KEY, param: KEY } })}\n\n`,
      );
    });
    const client = createChatClient({ baseURL: server.baseURL, apiKey: KEY, retry: false });
    const error = await failure(client.stream(request));
    expect(error.code).toBe('stream_error');
    expect(error.provider).toEqual({
      message: 'no',
      code: '[redacted]',
      type: '[redacted]',
      param: '[redacted]',
    });
    for (const text of everywhere(error)) expect(text).not.toContain(KEY);
  });

  it('not in fields a transport or a callback put on an error, however deep', async () => {
    const transport: ChatTransport = () => {
      throw Object.assign(new RxChatError('connection_error', 'refused'), {
        details: { attempts: [{ header: `Bearer ${KEY}` }], note: KEY },
      });
    };
    const client = createChatClient({
      baseURL: server.baseURL,
      apiKey: KEY,
      transport,
      retry: false,
    });
    const error = await failure(client.stream(request));
    expect(inspect(error, { depth: 20 })).toContain(
      "details: { attempts: [ { header: '[redacted]' } ], note: '[redacted]' }",
    );
    for (const text of everywhere(error)) expect(text).not.toContain(KEY);
  });

  it('response events carry redacted headers: echoed keys and secret names', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'x-echo': `Bearer ${KEY}`,
        'x-api-key': 'echoed-other-key',
        'x-request-id': 'req_123',
      });
      res.end('data: {"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}]}\n\n');
    });
    const client = createChatClient({ baseURL: server.baseURL, apiKey: KEY });
    const events = await lastValueFrom(client.stream(request).pipe(toArray()));
    const response = events.find((event) => event.type === 'response')!;
    expect(response).toMatchObject({ status: 200, requestId: 'req_123' });
    expect(JSON.stringify(events)).not.toContain(KEY);
    expect(JSON.stringify(events)).not.toContain('echoed-other-key');
    expect((response as { headers: Record<string, string> }).headers).toMatchObject({
      'x-echo': '[redacted]', // "Bearer <key>" is a secret as a whole
      'x-api-key': '[redacted]',
      'x-request-id': 'req_123',
    });
  });

  it('an http_error keeps redacted headers too', async () => {
    server.handle((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain', 'x-echo': `Bearer ${KEY}` });
      res.end('oops');
    });
    const client = createChatClient({ baseURL: server.baseURL, apiKey: KEY, retry: false });
    const error = await failure(client.stream(request));
    expect(error.headers?.['x-echo']).toBe('[redacted]');
  });

  it.each([
    ['named by the caller', { secretHeaders: ['X-Gateway-Credential'] }, 'x-gateway-credential'],
    ['named per request', {}, 'x-gateway-credential'],
    ['shaped like a key (x-portkey-api-key)', {}, 'x-portkey-api-key'],
  ])('values of secret headers %s are scrubbed like the key', async (how, clientOptions, name) => {
    const value = 'gw-cred-VERY-SECRET-42';
    server.handle((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json', 'x-echo': value });
      res.end(JSON.stringify({ error: { message: `Credential ${value} refused`, param: value } }));
    });
    let seen: ChatHttpRequest | undefined;
    const inner = undiciTransport();
    const client = createChatClient({
      baseURL: server.baseURL,
      retry: false,
      transport: (req) => {
        seen = req;
        return inner(req);
      },
      ...clientOptions,
    });
    const perRequest =
      how === 'named per request'
        ? { headers: { [name]: value }, secretHeaders: [name] }
        : { headers: { [name]: value } };
    const events: unknown[] = [];
    const error = await failure(
      client.stream(request, perRequest).pipe(tap((event) => events.push(event))),
    );
    expect(server.requests[0]!.headers[name]).toBe(value); // still sent
    expect(error.code).toBe('http_error');
    for (const text of [...everywhere(error), ...renderings(seen!), JSON.stringify(events)]) {
      expect(text).not.toContain(value);
    }
    expect(JSON.stringify(seen)).toContain(`"${name}":"[redacted]"`);
  });
});
