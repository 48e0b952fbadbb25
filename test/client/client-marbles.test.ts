import type { Observable } from 'rxjs';
import {
  createChatClient,
  contentDeltas,
  RxChatError,
  type ChatHttpResponse,
  type ChatStreamEvent,
  type ChatTransport,
} from '../../src';
import { chunk, testScheduler, wire } from '../helpers/marbles';

// The whole client (request building, response handling, retry, timeouts) on virtual time: a
// transport made of cold marbles, so retry waits and timeout phases are exact frames.
const request = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };
const sse = (...texts: string[]) =>
  wire(
    texts.map((t) => chunk({ content: t })),
    { done: false },
  );

describe('createChatClient on virtual time', () => {
  it('retries a 503 after the backoff, then streams; each attempt subscribes once', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold<ChatHttpResponse>('--(r|)', {
        r: { status: 503, headers: {}, body: cold('-(e|)', { e: '{"error":{"message":"busy"}}' }) },
      });
      const body = cold<string>('-a-b-(d|)', {
        a: sse('Hel'),
        b: wire([chunk({ content: 'lo' }, { finish_reason: 'stop' })], { done: false }),
        d: 'data: [DONE]\n\n',
      });
      const working = cold<ChatHttpResponse>('--(r|)', {
        r: { status: 200, headers: { 'content-type': 'text/event-stream' }, body },
      });
      const responses = [failing, working];
      const transport: ChatTransport = () => responses.shift()!;
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: { baseDelay: 10, jitter: 0 },
      });
      // 503 body ends at 3, the retry waits 10 (→ 13), the second response arrives at 15.
      expectObservable(client.stream(request).pipe(contentDeltas())).toBe('----------------H-l-|', {
        H: 'Hel',
        l: 'lo',
      });
      expectSubscriptions(failing.subscriptions).toBe('^-!');
      expectSubscriptions(working.subscriptions).toBe('-------------^-!');
      expectSubscriptions(body.subscriptions).toBe('---------------^----!');
    });
  });

  it('times out after the idle limit and fails with the phase, even as comments keep coming', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const body = cold<string>('a-c-c-c-c-c-c-c-c-c-c-c', { a: sse('Hi'), c: ': keep-alive\n\n' });
      const transport: ChatTransport = () =>
        cold<ChatHttpResponse>('(r|)', {
          r: { status: 200, headers: { 'content-type': 'text/event-stream' }, body },
        });
      const client = createChatClient({
        baseURL: 'http://test/v1',
        transport,
        retry: false,
        timeout: { idle: 10 },
      });
      const events$: Observable<ChatStreamEvent> = client.stream(request);
      expectObservable(events$.pipe(contentDeltas())).toBe(
        'H---------#',
        { H: 'Hi' },
        expect.objectContaining({ code: 'timeout', phase: 'idle' }) as unknown as RxChatError,
      );
      expectSubscriptions(body.subscriptions).toBe('^---------!');
    });
  });

  it('gives up with the total limit across attempts and their waits', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const transport: ChatTransport = () =>
        cold<ChatHttpResponse>('-----(r|)', {
          r: { status: 500, headers: { 'retry-after-ms': '20' }, body: cold('|') },
        });
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
        expect.objectContaining({ code: 'timeout', phase: 'total' }) as unknown as RxChatError,
      );
    });
  });
});
