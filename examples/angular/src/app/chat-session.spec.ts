import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { provideRxChat, withTransport } from 'rxchat/angular';
import {
  createMockTransport,
  createTestScheduler,
  DONE,
  makeChunk,
  makeUsage,
  makeUsageChunk,
  sseValues,
  type MockResponse,
  type RunHelpers,
} from 'rxchat/testing';
import { ChatSession } from './chat-session';

/** "Hello world" in three chunks (a, b, c), then the usage chunk (u) and [DONE] (d). */
const HELLO = sseValues({
  a: makeChunk({ role: 'assistant', content: 'Hel' }),
  b: makeChunk({ content: 'lo' }),
  c: makeChunk({ content: ' world', finishReason: 'stop' }),
  u: makeUsageChunk(makeUsage(12, 3)),
  d: DONE,
});

/** The session under test, its client answering from `script` on the test scheduler. */
function setUp({ cold }: RunHelpers, script: MockResponse[]) {
  const transport = createMockTransport({ cold }, script);
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideRxChat(
        { baseURL: 'http://test/v1' },
        withTransport(() => transport),
      ),
      ChatSession,
    ],
  });
  return { transport, session: TestBed.inject(ChatSession) };
}

describe('ChatSession', () => {
  const testScheduler = () =>
    createTestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('coalesces the text to one piece per animation frame, then emits the usage', () => {
    testScheduler().run((helpers) => {
      const { animate, expectObservable, expectSubscriptions } = helpers;
      animate('------x'); // a single animation frame, at frame 6
      const { transport, session } = setUp(helpers, [{ body: '-a-b-c-(ud|)', values: HELLO }]);

      // 'Hel' goes out at once; 'lo' and ' world' wait together for the frame; usage ends it.
      expectObservable(session.reply('Say hello')).toBe('-a----b(u|)', {
        a: { text: 'Hel' },
        b: { text: 'lo world' },
        u: { usage: makeUsage(12, 3) },
      });
      expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^------!');
    });
  });

  it('asks for the configured model with the prompt as the user message', () => {
    testScheduler().run((helpers) => {
      helpers.animate('-x-x-x-x-x');
      const { transport, session } = setUp(helpers, [{ body: '-a-b-c-(ud|)', values: HELLO }]);
      session.send('Say hello');
      helpers.flush();
      expect(transport.requests).toHaveLength(1);
      expect(transport.requests[0]!.request.url).toBe('http://test/v1/chat/completions');
      expect(transport.requests[0]!.json).toMatchObject({
        model: 'mock-1',
        stream: true,
        messages: [{ role: 'user', content: 'Say hello' }],
      });
    });
  });

  it('streams the answer into signals and ends with the usage', () => {
    const scheduler = testScheduler();
    let session!: ChatSession;
    const answers: string[] = [];
    scheduler.run((helpers) => {
      helpers.animate('--x--x--x--x');
      ({ session } = setUp(helpers, [{ body: '-a-b-c-(ud|)', values: HELLO }]));
      session.send('Say hello');
      expect(session.status()).toBe('streaming');
      for (const frame of [2, 4, 6])
        scheduler.schedule(() => answers.push(session.answer()), frame);
    });
    expect(answers).toEqual(['Hel', 'Hello', 'Hello world']);
    expect(session.answer()).toBe('Hello world');
    expect(session.usage()).toEqual(makeUsage(12, 3));
    expect(session.status()).toBe('done');
    expect(session.error()).toBeNull();
  });

  it('stop() ends the response body subscription and keeps the text so far', () => {
    const scheduler = testScheduler();
    let session!: ChatSession;
    scheduler.run((helpers) => {
      helpers.animate('-x-x-x-x-x-x');
      const setup = setUp(helpers, [{ body: '-a-b-----c-(ud|)', values: HELLO }]);
      session = setup.session;
      session.send('Say hello');
      scheduler.schedule(() => session.stop(), 5);
      helpers.expectSubscriptions(setup.transport.exchanges[0]!.body.subscriptions).toBe('^----!');
    });
    expect(session.status()).toBe('stopped');
    expect(session.answer()).toBe('Hello');
    expect(session.usage()).toBeNull();
  });

  it('reports a failed request by its code and message', () => {
    let session!: ChatSession;
    testScheduler().run((helpers) => {
      ({ session } = setUp(helpers, [
        {
          status: 401,
          responseHeaders: { 'content-type': 'application/json' },
          body: '(e|)',
          values: {
            e: JSON.stringify({
              error: { message: 'Incorrect API key provided', code: 'invalid_api_key' },
            }),
          },
        },
      ]));
      session.send('Say hello');
    });
    expect(session.status()).toBe('error');
    expect(session.error()?.code).toBe('http_error');
    expect(session.error()?.message).toContain('Incorrect API key provided');
  });
});
