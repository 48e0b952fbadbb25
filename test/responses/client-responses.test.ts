import { take } from 'rxjs';
import {
  contentDeltas,
  createChatClient,
  finalCompletion,
  RxChatError,
  type ChatStreamEvent,
  type ResponseStreamEvent,
} from '../../src';
import {
  createMockTransport,
  makeResponseEvents,
  responseEvent,
  responsesValues,
  sseEvent,
} from '../../src/testing';
import { testScheduler } from '../helpers/marbles';

// client.responses() on virtual time with the mock transport of rxchat/testing: the request it
// sends, retries before output, the timeout phases, and background resume and cancel.

const request = { model: 'm', input: 'Hi' };
const events = makeResponseEvents({ text: ['Hel', 'lo'] });
// a created, b in_progress, c item added, d part added, e 'Hel', f 'lo', g text done, h part
// done, i item done, j completed.
const wire = responsesValues('abcdefghij', events);
const ev = (i: number): ChatStreamEvent => ({ type: 'responses', event: events[i]! });
const usageOut: ChatStreamEvent = {
  type: 'usage',
  usage: expect.objectContaining({ prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 }),
};
const eventValues = Object.fromEntries([...'abcdefghij'].map((l, i) => [l, ev(i)]));

describe('client.responses()', () => {
  it('posts to {baseURL}/responses with stream: true, no messages and no stream_options', () => {
    testScheduler().run(({ cold }) => {
      const transport = createMockTransport({ cold }, [{ body: 'a|', values: wire }]);
      createChatClient({ baseURL: 'http://test/v1', apiKey: 'sk-test-1', transport })
        .responses(
          { ...request, instructions: 'Be brief', store: false, vendor_flag: 1 },
          { query: { v: '2' } },
        )
        .subscribe({ error: () => undefined });
      const [{ request: sent, json }] = transport.requests as [(typeof transport.requests)[0]];
      expect(sent.method).toBe('POST');
      expect(sent.url).toBe('http://test/v1/responses?v=2');
      expect(sent.headers.authorization).toBe('Bearer sk-test-1');
      expect(json).toEqual({
        model: 'm',
        input: 'Hi',
        instructions: 'Be brief',
        store: false,
        vendor_flag: 1,
        stream: true,
      });
    });
  });

  it('streams a response event, every server event, then usage, then completes', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        { headers: '-(r|)', body: '-abcdefghij', values: wire },
      ]);
      const client = createChatClient({ baseURL: 'http://test/v1', transport });
      expectObservable(client.responses(request)).toBe('-Rabcdefghi(jU|)', {
        R: responseEvent(200),
        ...eventValues,
        U: usageOut,
      });
      // The terminal event ends the read: the body is released at once.
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('-^---------!');
    });
  });

  it('rejects a chat request (messages) before sending, with validation_error', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, []);
      const client = createChatClient({ baseURL: 'http://test/v1', transport });
      expectObservable(
        client.responses({ model: 'm', messages: [{ role: 'user', content: 'x' }] } as never),
      ).toBe(
        '#',
        undefined,
        expect.objectContaining({
          code: 'validation_error',
          message: expect.stringMatching(/messages: the Responses API takes `input`/),
        }),
      );
      expect(transport.requests).toHaveLength(0);
    });
  });

  it('retries after lifecycle events only (no output yet), and the fold restarts with the new attempt', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const failed = sseEvent(
        {
          type: 'response.failed',
          sequence_number: 2,
          response: {
            id: 'resp_0',
            status: 'failed',
            error: { code: 'rate_limit_exceeded', message: 'slow down' },
          },
        },
        { event: 'response.failed' },
      );
      const first = makeResponseEvents({ id: 'resp_0' });
      const transport = createMockTransport({ cold }, [
        { body: 'ab(x|)', values: { ...responsesValues('ab', first), x: failed } },
        { body: 'abcdefghij', values: wire },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: { baseDelay: 5, jitter: 0 },
      });
      // Attempt 1 fails at 2, waits 5, attempt 2 ends at 7 + 9.
      expectObservable(client.responses(request).pipe(finalCompletion())).toBe(
        '-'.repeat(16) + '(c|)',
        {
          c: expect.objectContaining({
            id: 'resp_1',
            choices: [
              expect.objectContaining({ message: expect.objectContaining({ content: 'Hello' }) }),
            ],
          }),
        },
      );
    });
  });

  it('does not retry after output: a cut after a text delta fails with truncated, not retryable', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        { body: 'abcde|', values: wire },
        { body: 'abcdefghij', values: wire },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: { baseDelay: 1, jitter: 0 },
      });
      expectObservable(client.responses(request).pipe(contentDeltas())).toBe(
        '----H#',
        { H: 'Hel' },
        expect.objectContaining({ code: 'truncated', retryable: false, attempts: 1 }),
      );
    });
  });

  it('keepalive events are not liveness for the idle timeout, and lifecycle events do not end firstChunk', () => {
    const keepalive = sseEvent({ type: 'keepalive', sequence_number: 9 }, { event: 'keepalive' });
    testScheduler().run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        { body: 'abe-k-k-k-k-k-k-k', values: { ...wire, k: keepalive } },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: false,
        timeout: { idle: 6 },
      });
      expectObservable(client.responses(request).pipe(contentDeltas())).toBe(
        '--H-----#',
        { H: 'Hel' },
        expect.objectContaining({ code: 'timeout', phase: 'idle' }),
      );
    });
    testScheduler().run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [{ body: 'ab----------e', values: wire }]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: false,
        timeout: { firstChunk: 5 },
      });
      expectObservable(client.responses(request).pipe(contentDeltas())).toBe(
        '-----#',
        undefined,
        expect.objectContaining({ code: 'timeout', phase: 'firstChunk' }),
      );
    });
  });
});

describe('client.responses() in background mode', () => {
  const background = { ...request, background: true };

  it('resumes a cut stream from the last sequence_number: nothing repeated, nothing lost', () => {
    let transport!: ReturnType<typeof createMockTransport>;
    testScheduler().run(({ cold, expectObservable }) => {
      transport = createMockTransport({ cold }, [
        // Cut after 'Hel' (sequence 4).
        { body: 'abcde#', values: wire, error: new RxChatError('connection_error', 'reset') },
        // The resumed stream repeats sequence 4 (a server may), then goes on.
        { body: 'efghij', values: wire },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: { maxRetries: 2 },
      });
      expectObservable(client.responses(background).pipe(contentDeltas())).toBe(
        // The cut at 5, a wait of 500 (the retry's base delay), the repeated event 4 dropped,
        // 'lo' at 506, the end at 510.
        '----H' + '-'.repeat(501) + 'L---|',
        { H: 'Hel', L: 'lo' },
      );
    });
    expect(transport.requests.map(({ request: r }) => ({ method: r.method, url: r.url }))).toEqual([
      { method: 'POST', url: 'http://test/v1/responses' },
      { method: 'GET', url: 'http://test/v1/responses/resp_1?stream=true&starting_after=4' },
    ]);
  });

  it('cancels the response on the server when the consumer leaves before the end', () => {
    let transport!: ReturnType<typeof createMockTransport>;
    testScheduler().run(({ cold, expectObservable }) => {
      transport = createMockTransport({ cold }, [
        { body: 'abcdef---------', values: wire },
        {
          responseHeaders: { 'content-type': 'application/json' },
          body: '(c|)',
          values: { c: '{"id":"resp_1","object":"response","status":"cancelled"}' },
        },
      ]);
      const client = createChatClient({ baseURL: 'http://test/v1', transport });
      expectObservable(client.responses(background).pipe(contentDeltas(), take(1))).toBe(
        '----(H|)',
        { H: 'Hel' },
      );
    });
    expect(
      transport.requests.map(({ request: r }) => ({ method: r.method, url: r.url, body: r.body })),
    ).toEqual([
      expect.objectContaining({ method: 'POST', url: 'http://test/v1/responses' }),
      { method: 'POST', url: 'http://test/v1/responses/resp_1/cancel', body: '{}' },
    ]);
  });

  it('sends no cancel after the terminal event, nor for a response not in the background', () => {
    for (const [req, marble] of [
      [background, 'Rabcdefghi(jU|)'],
      [request, 'Ra(b|)'],
    ] as const) {
      let transport!: ReturnType<typeof createMockTransport>;
      testScheduler().run(({ cold, expectObservable }) => {
        transport = createMockTransport({ cold }, [{ body: '-abcdefghij', values: wire }]);
        const client = createChatClient({ baseURL: 'http://test/v1', transport });
        const source =
          req === background ? client.responses(req) : client.responses(req).pipe(take(3));
        expectObservable(source).toBe(marble, {
          R: responseEvent(200),
          ...eventValues,
          U: usageOut,
        });
      });
      expect(transport.requests).toHaveLength(1);
    }
  });
});

// Keep the event type referenced for readers of the fixtures above.
export type { ResponseStreamEvent };

describe('client.responses() request checks and secrets', () => {
  it('names every problem of a bad request before sending', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, []);
      const client = createChatClient({ baseURL: 'http://test/v1', transport });
      const bad = {
        model: '',
        input: 5,
        tool_choice: 3,
        metadata: { a: 1 },
        max_output_tokens: 0,
      } as never;
      expectObservable(client.responses(bad)).toBe(
        '#',
        undefined,
        expect.objectContaining({
          code: 'validation_error',
          message:
            'Invalid Responses request: model: must not be empty; input: expected string or array, received number; ' +
            'tool_choice: expected string or object, received number; metadata.a: expected string, received number; ' +
            'max_output_tokens: expected an integer ≥ 1, received 0',
        }),
      );
      expect(transport.requests).toHaveLength(0);
    });
  });

  it('keeps the API key out of errors, as stream() does', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        {
          status: 401,
          responseHeaders: { 'content-type': 'application/json' },
          body: '(e|)',
          values: { e: '{"error":{"message":"Incorrect API key provided: sk-secret-777"}}' },
        },
      ]);
      const client = createChatClient({
        baseURL: 'http://test/v1',
        apiKey: 'sk-secret-777',
        transport,
      });
      expectObservable(client.responses(request)).toBe(
        '(R#)',
        { R: expect.objectContaining({ type: 'response', status: 401 }) },
        expect.objectContaining({
          code: 'http_error',
          status: 401,
          message: expect.not.stringContaining('sk-secret-777'),
        }),
      );
    });
  });
});
