import {
  createChatClient,
  contentDeltas,
  type ChatHttpResponse,
  type ChatStreamEvent,
} from '../../src';
import {
  createMockTransport,
  DONE,
  makeChunk,
  makeUsage,
  makeUsageChunk,
  responseEvent,
  sseComment,
  sseEvent,
  sseValues,
  textEvent,
  usageEvent,
} from '../../src/testing';
import { testScheduler } from '../helpers/marbles';

// The whole client (request building, response handling, retry, timeouts) on virtual time, with
// the mock transport of rxchat/testing: retry waits and timeout phases are exact frames.
const request = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };
const hel = makeChunk({ content: 'Hel' });
const lo = makeChunk({ content: 'lo', finishReason: 'stop' });
const used = makeUsage(3, 2);

describe('createChatClient on virtual time', () => {
  it('retries a 503 after the backoff, then streams; each attempt subscribes once', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        {
          headers: '--(r|)',
          status: 503,
          body: '-(e|)',
          values: { e: '{"error":{"message":"busy"}}' },
        },
        {
          headers: '--(r|)',
          body: '-a-b-(ud|)',
          values: sseValues({ a: hel, b: lo, u: makeUsageChunk(used), d: DONE }),
        },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: { baseDelay: 10, jitter: 0 },
      });
      // The 503's body ends at 3, the retry waits 10 (→ 13), the second response comes at 15.
      expectObservable(client.stream(request)).toBe('--r------------Ra-b-(cu|)', {
        r: responseEvent(503),
        R: responseEvent(200),
        a: textEvent('Hel'),
        b: { type: 'chunk', chunk: lo } satisfies ChatStreamEvent,
        c: { type: 'chunk', chunk: makeUsageChunk(used) } satisfies ChatStreamEvent,
        u: usageEvent(used),
      });
      expectSubscriptions(transport.exchanges[0]!.response.subscriptions).toBe('^-!');
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('--^!');
      expectSubscriptions(transport.exchanges[1]!.response.subscriptions).toBe('-------------^-!');
      expectSubscriptions(transport.exchanges[1]!.body.subscriptions).toBe('---------------^----!');
    });
  });

  it("stops a failed attempt's timers: they never fail or retry the attempt after it", () => {
    let requests = () => 0;
    testScheduler().run(({ cold, expectObservable }) => {
      // Attempt 1's connection fails at once; attempt 2 streams slowly, within the limits.
      // The first attempt's headers (4), idle (6) and firstChunk (8) timers would run out
      // mid-way through attempt 2.
      const transport = createMockTransport({ cold }, [
        { headers: '-#' },
        {
          headers: '-(r|)',
          body: '----a----b----(ud|)',
          values: sseValues({ a: hel, b: lo, u: makeUsageChunk(used), d: DONE }),
        },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: { baseDelay: 1, jitter: 0 },
        timeout: { headers: 4, idle: 6, firstChunk: 8 },
      });
      expectObservable(client.stream(request)).toBe('---R---a----b----(cu|)', {
        R: responseEvent(200),
        a: textEvent('Hel'),
        b: { type: 'chunk', chunk: lo } satisfies ChatStreamEvent,
        c: { type: 'chunk', chunk: makeUsageChunk(used) } satisfies ChatStreamEvent,
        u: usageEvent(used),
      });
      requests = () => transport.requests.length;
    });
    expect(requests()).toBe(2);
  });

  it('records each request as the transport received it', () => {
    testScheduler().run(({ cold }) => {
      const transport = createMockTransport({ cold }, [
        { body: 'a|', values: sseValues({ a: lo }) },
      ]);
      createChatClient({ baseURL: 'http://test/v1/', apiKey: 'sk-test-0000', transport })
        .stream(request, { headers: { 'FC-Tag': 'x' } })
        .subscribe();
      expect(transport.requests).toHaveLength(1);
      const [{ request: sent, json }] = transport.requests as [(typeof transport.requests)[0]];
      expect(sent.url).toBe('http://test/v1/chat/completions');
      expect(sent.headers['fc-tag']).toBe('x');
      expect(json).toMatchObject({ ...request, stream: true });
    });
  });

  it('times out after the idle limit, however many comments keep coming', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        {
          body: 'a-c-c-c-c-c-c-c-c-c-c-c',
          values: sseValues({ a: hel, c: sseComment('keep-alive') }),
        },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: false,
        timeout: { idle: 10 },
      });
      expectObservable(client.stream(request).pipe(contentDeltas())).toBe(
        'H---------#',
        { H: 'Hel' },
        expect.objectContaining({ code: 'timeout', phase: 'idle' }),
      );
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^---------!');
    });
  });

  it('counts the idle limit from the last piece that carried a chunk, to the frame', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        {
          headers: '--(r|)',
          // Two chunks in one piece at 3, a comment-only piece at 6, then silence.
          body: '-a--c',
          values: { a: sseEvent(hel) + sseEvent(hel), c: sseComment('ping') },
        },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: false,
        timeout: { idle: 10 },
      });
      expectObservable(client.stream(request).pipe(contentDeltas())).toBe(
        '---(HH)------#',
        { H: 'Hel' },
        expect.objectContaining({ code: 'timeout', phase: 'idle' }),
      );
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('--^----------!');
    });
  });

  it('fails a transport that completes without a response, and does not retry it', () => {
    let calls = 0;
    testScheduler().run(({ cold, expectObservable }) => {
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport: () => {
          calls++;
          return cold<ChatHttpResponse>('--|');
        },
      });
      expectObservable(client.stream(request)).toBe(
        '--#',
        undefined,
        expect.objectContaining({ code: 'connection_error', retryable: false }),
      );
    });
    expect(calls).toBe(1);
  });

  it('reads only the first response of a transport that emits two', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = sseValues({ l: lo, h: hel }) as Record<string, string>;
      const client = createChatClient({
        baseURL: 'http://test/v1',
        retry: false,
        transport: () =>
          cold<ChatHttpResponse>('a-b|', {
            a: { status: 200, headers: {}, body: cold('----l|', values) },
            b: { status: 200, headers: {}, body: cold('h|', values) },
          }),
      });
      // The stray second response at 2 would otherwise add 'Hel' and complete at 3.
      expectObservable(client.stream(request).pipe(contentDeltas())).toBe('----l|', { l: 'lo' });
    });
  });

  it('reads a response that a transport gives as a class instance with getters', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      class Answer {
        readonly #status = 200;
        get status() {
          return this.#status;
        }
        get headers() {
          return { 'content-type': 'text/event-stream' };
        }
        get body() {
          return cold('a|', sseValues({ a: lo }) as Record<string, string>);
        }
      }
      const client = createChatClient({
        baseURL: 'http://test/v1',
        retry: false,
        transport: () => cold<ChatHttpResponse>('(a|)', { a: new Answer() }),
      });
      expectObservable(client.stream(request).pipe(contentDeltas())).toBe('l|', { l: 'lo' });
    });
  });

  it('rejects a maxEventBytes that is not a positive number when the client is made', () => {
    for (const maxEventBytes of [0, -1, Number.NaN]) {
      expect(() => createChatClient({ maxEventBytes })).toThrow(RangeError);
    }
  });

  it('gives up with the total limit across attempts and their waits', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, () => ({
        headers: '-----(r|)',
        status: 500,
        responseHeaders: { 'retry-after-ms': '20' },
      }));
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: { maxRetries: 5 },
        timeout: { total: 40 },
      });
      // Attempts fail at 5 and 30 (5 + 20 wait + 5); the total limit ends the third at 40.
      expectObservable(client.stream(request).pipe(contentDeltas())).toBe(
        '-'.repeat(40) + '#',
        undefined,
        expect.objectContaining({ code: 'timeout', phase: 'total' }),
      );
    });
  });

  it('aborts the attempt when the headers phase runs out, and retries it', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        { headers: '------' }, // never answers
        { headers: '-(r|)', body: '-(ad|)', values: sseValues({ a: lo, d: DONE }) },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: { baseDelay: 2, jitter: 0 },
        timeout: { headers: 4 },
      });
      expectObservable(client.stream(request).pipe(contentDeltas())).toBe('--------(l|)', {
        l: 'lo',
      });
      expectSubscriptions(transport.exchanges[0]!.response.subscriptions).toBe('^---!');
      expectSubscriptions(transport.exchanges[1]!.response.subscriptions).toBe('------^!');
    });
  });
});
