import {
  contentDeltas,
  relayEntries,
  relayStream,
  RxChatError,
  type ChatStreamEvent,
} from '../../src';
import { withAfter } from '../../src/relay-client/relay-stream';
import { createMockTransport, sseComment, sseEvent, textEvent } from '../../src/testing';
import { testScheduler } from '../helpers/marbles';

// relayStream on virtual time: the mock transport plays the relay server's wire format, so the
// reconnection waits are exact frames.
const URL = 'http://app/api/relay/runs/abc/events';
const A = textEvent('Hel');
const B = textEvent('lo');
const C = textEvent('!');
const entry = (id: number, event: ChatStreamEvent) => sseEvent(event, { id: String(id) });
const end = (id: number, data: Record<string, unknown>) =>
  sseEvent(data, { event: 'end', id: String(id) });
const completed = (id: number) => end(id, { status: 'completed' });
const retry = { baseDelay: 10, jitter: 0 };

describe('relayStream on virtual time', () => {
  it('emits the entries in order and completes at the end event', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        {
          body: '-a-k-b-(e|)',
          values: { a: entry(0, A), k: sseComment('keep-alive'), b: entry(1, B), e: completed(2) },
        },
      ]);
      expectObservable(relayStream(URL, { transport, scheduler })).toBe('-a---b-|', { a: A, b: B });
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^------!');
    });
  });

  it('sends a GET for the event stream with the given headers, no Last-Event-ID at first', () => {
    testScheduler().run(({ cold }) => {
      const transport = createMockTransport({ cold }, [
        { body: '(e|)', values: { e: completed(0) } },
      ]);
      relayStream(URL, { transport, headers: { Authorization: 'Bearer tok-1234' } }).subscribe();
      const [{ request }] = transport.requests as [(typeof transport.requests)[0]];
      expect(request.method).toBe('GET');
      expect(request.url).toBe(URL);
      expect(request.headers).toEqual({
        accept: 'text/event-stream',
        authorization: 'Bearer tok-1234',
      });
      expect(JSON.stringify(request)).not.toContain('tok-1234');
    });
  });

  it('starts after the given offset (a reader that kept its place across a reload)', () => {
    let transport!: ReturnType<typeof createMockTransport>;
    testScheduler().run(({ cold, expectObservable }) => {
      transport = createMockTransport({ cold }, [
        // A server that sends an entry the reader already has: it is skipped.
        { body: '-a-b-(e|)', values: { a: entry(4, A), b: entry(5, B), e: completed(6) } },
      ]);
      expectObservable(relayStream(URL, { transport, after: 4 })).toBe('---b-|', { b: B });
    });
    const [{ request }] = transport.requests as [(typeof transport.requests)[0]];
    expect(request.url).toBe(`${URL}?after=4`);
    expect(request.headers['last-event-id']).toBe('4');
    expect(() => relayStream(URL, { after: -2 })).toThrow(RangeError);
  });

  it('relayEntries gives each event with its offset, across a reconnection', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        { body: '-a-b-|', values: { a: entry(3, A), b: entry(4, B) } },
        // After the cut: one entry without an id takes the offset after the last one.
        { body: '-c-(e|)', values: { c: sseEvent(C), e: completed(6) } },
      ]);
      expectObservable(relayEntries(URL, { transport, scheduler, retry, after: 2 })).toBe(
        '-a-b 12ms c-|',
        { a: { offset: 3, event: A }, b: { offset: 4, event: B }, c: { offset: 5, event: C } },
      );
    });
  });

  it('completes on a 204: the relay says this reader has seen the end', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [{ status: 204, body: '|' }]);
      expectObservable(relayStream(URL, { transport, after: 5 })).toBe('|');
    });
  });

  it('composes with the operators', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        { body: '-a-b-(e|)', values: { a: entry(0, A), b: entry(1, B), e: completed(2) } },
      ]);
      expectObservable(relayStream(URL, { transport, scheduler }).pipe(contentDeltas())).toBe(
        '-a-b-|',
        { a: 'Hel', b: 'lo' },
      );
    });
  });

  it.each([
    [
      'errored with a known code',
      {
        status: 'errored',
        error: { code: 'timeout', message: 'No chunk for 30 s', phase: 'idle' },
      },
      { code: 'timeout', message: 'No chunk for 30 s', phase: 'idle', retryable: false },
    ],
    [
      'errored with an unknown code',
      { status: 'errored', error: { code: 'kaput', message: 'It broke' } },
      { code: 'stream_error', message: 'It broke', retryable: false },
    ],
    [
      'stopped',
      { status: 'stopped' },
      { code: 'aborted', message: 'The run was stopped', retryable: false },
    ],
    ['truncated', { status: 'truncated' }, { code: 'truncated', retryable: false }],
  ])('fails at the end event of a run %s', (_, data, expected) => {
    const scheduler = testScheduler();
    let requests = () => 0;
    scheduler.run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        { body: '-a-e', values: { a: entry(0, A), e: end(1, data) } },
      ]);
      expectObservable(relayStream(URL, { transport, scheduler, retry })).toBe(
        '-a-#',
        { a: A },
        expect.objectContaining(expected),
      );
      requests = () => transport.requests.length;
    });
    expect(requests()).toBe(1);
  });

  it('fails with the rebuilt error, an RxChatError', () => {
    const scheduler = testScheduler();
    let failure: unknown;
    scheduler.run(({ cold }) => {
      const transport = createMockTransport({ cold }, [
        {
          body: '(e|)',
          values: {
            e: end(0, {
              status: 'errored',
              error: { code: 'http_error', message: 'HTTP 500', status: 500, provider: null },
            }),
          },
        },
      ]);
      relayStream(URL, { transport, scheduler }).subscribe({
        error: (e: unknown) => (failure = e),
      });
    });
    expect(RxChatError.isInstance(failure)).toBe(true);
    expect(failure).toMatchObject({ code: 'http_error', status: 500, retryable: false });
  });

  it('reconnects after a cut with Last-Event-ID and ?after=, and skips what it already emitted', () => {
    const scheduler = testScheduler();
    let requests = (): { url: string; headers: Readonly<Record<string, string>> }[] => [];
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        // The body ends at 5 without an end event; the last entry's event is cut mid-write.
        { body: '-a-b-(x|)', values: { a: entry(0, A), b: entry(1, B), x: 'id: 2\ndata: {"ty' } },
        // The server resends entry 1: it is skipped.
        { body: '-b-c-(e|)', values: { b: entry(1, B), c: entry(2, C), e: completed(3) } },
      ]);
      // Cut at 5, the wait of 10 → reconnect at 15; entry 2 at 18, the end at 20.
      expectObservable(relayStream(`${URL}?after=7&x=1`, { transport, scheduler, retry })).toBe(
        '-a-b 14ms c-|',
        { a: A, b: B, c: C },
      );
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^----!');
      expectSubscriptions(transport.exchanges[1]!.body.subscriptions).toBe('15ms ^----!');
      requests = () => transport.requests.map(({ request }) => request);
    });
    const [first, second, ...rest] = requests();
    expect(rest).toEqual([]);
    expect(first!.headers['last-event-id']).toBeUndefined();
    expect(first!.url).toBe(`${URL}?after=7&x=1`);
    expect(second!.headers['last-event-id']).toBe('1');
    expect(second!.url).toBe(`${URL}?x=1&after=1`);
  });

  it('reconnects after a connection error, a broken body and a 503, honouring retry-after', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        { headers: '-#' },
        { body: '-a-#', values: { a: entry(0, A) } },
        {
          status: 503,
          responseHeaders: { 'retry-after': '0.05' },
          body: '(j|)',
          values: { j: '{}' },
        },
        { body: '-b-(e|)', values: { b: entry(1, B), e: completed(2) } },
      ]);
      // 1: error → wait 10 → 11: A at 12, break at 14 → wait 10 (reset by A) → 24: 503 →
      // retry-after 50 → 74: B at 75, end at 77.
      expectObservable(relayStream(URL, { transport, scheduler, retry })).toBe(
        '------------a 62ms b-|',
        { a: A, b: B },
      );
    });
  });

  it('gives up after maxRetries reconnections in a row that delivered nothing', () => {
    const scheduler = testScheduler();
    let count = () => 0;
    scheduler.run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, () => ({ body: '-|' }));
      // Ends at 1, 10 → 12, 20 → 33: no retry left.
      expectObservable(
        relayStream(URL, { transport, scheduler, retry: { ...retry, maxRetries: 2 } }),
      ).toBe(
        '33ms #',
        {},
        expect.objectContaining({
          code: 'truncated',
          message: 'The relay connection ended before the end of the run',
        }),
      );
      count = () => transport.requests.length;
    });
    expect(count()).toBe(3);
  });

  it('resets the count of failures after a connection that delivered an entry', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        { body: '-a|', values: { a: entry(0, A) } },
        { body: '-b|', values: { b: entry(1, B) } },
        { body: '-(e|)', values: { e: completed(2) } },
      ]);
      // With one retry allowed, the third connection happens only because the second delivered.
      expectObservable(
        relayStream(URL, { transport, scheduler, retry: { ...retry, maxRetries: 1 } }),
      ).toBe('-a 11ms b 11ms |', { a: A, b: B });
    });
  });

  it.each([404, 403, 400, 408])('fails a %d with http_error at once, no retry', (status) => {
    const scheduler = testScheduler();
    let count = () => 0;
    scheduler.run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, [
        {
          status,
          responseHeaders: { 'content-type': 'application/json' },
          body: '-(j|)',
          values: { j: '{"error":{"message":"unknown run"}}' },
        },
        { body: '-(e|)', values: { e: completed(0) } },
      ]);
      expectObservable(relayStream(URL, { transport, scheduler, retry })).toBe(
        '-#',
        {},
        expect.objectContaining({
          code: 'http_error',
          status,
          message: expect.stringContaining('unknown run'),
        }),
      );
      count = () => transport.requests.length;
    });
    expect(count()).toBe(1);
  });

  it('fails with parse_error on an entry that is not JSON', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        { body: '-a-x--', values: { a: entry(0, A), x: 'id: 1\ndata: {nope\n\n' } },
      ]);
      expectObservable(relayStream(URL, { transport, scheduler, retry })).toBe(
        '-a-#',
        { a: A },
        expect.objectContaining({
          code: 'parse_error',
          message: 'An entry of the relayed run is not valid JSON',
        }),
      );
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^--!');
    });
  });

  it('unsubscribing closes the body, and sends nothing else', () => {
    const scheduler = testScheduler();
    let count = () => 0;
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const transport = createMockTransport({ cold }, [
        { body: '-a-b-c-', values: { a: entry(0, A), b: entry(1, B), c: entry(2, C) } },
      ]);
      expectObservable(relayStream(URL, { transport, scheduler }), '^---!').toBe('-a-b', {
        a: A,
        b: B,
      });
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^---!');
      count = () => transport.requests.length;
    });
    expect(count()).toBe(1);
  });

  it('unsubscribing during a reconnection wait cancels it', () => {
    const scheduler = testScheduler();
    let count = () => 0;
    scheduler.run(({ cold, expectObservable }) => {
      const transport = createMockTransport({ cold }, () => ({ body: '-|' }));
      expectObservable(relayStream(URL, { transport, scheduler, retry }), '^----!').toBe('-');
      count = () => transport.requests.length;
    });
    expect(count()).toBe(1);
  });

  it('fails with aborted when its signal aborts, closing the body', () => {
    const scheduler = testScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const controller = new AbortController();
      const transport = createMockTransport({ cold }, [
        { body: '-a-b-c-', values: { a: entry(0, A), b: entry(1, B), c: entry(2, C) } },
      ]);
      cold('--x').subscribe(() => controller.abort());
      expectObservable(relayStream(URL, { transport, scheduler, signal: controller.signal })).toBe(
        '-a#',
        { a: A },
        expect.objectContaining({ code: 'aborted' }),
      );
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^-!');
    });
  });
});

describe('withAfter', () => {
  it('adds or replaces the after parameter, keeping the others and dropping the fragment', () => {
    expect(withAfter('/runs/a/events', 3)).toBe('/runs/a/events?after=3');
    expect(withAfter('/runs/a/events?after=1', 3)).toBe('/runs/a/events?after=3');
    expect(withAfter('/e?a=1&after=1&afters=2#x', 0)).toBe('/e?a=1&afters=2&after=0');
  });
});
