import {
  createEnvironmentInjector,
  EnvironmentInjector,
  PLATFORM_ID,
  provideZonelessChangeDetection,
  signal,
  type Provider,
} from '@angular/core';
import { TestBed } from '@angular/core/testing';
import type { ChatRequest } from 'rxchat';
import {
  chatResource,
  injectChat,
  provideRxChat,
  withTransport,
  type Chat,
  type ChatResource,
  type ChatResourceOptions,
} from 'rxchat/angular';
import {
  createMockTransport,
  createTestScheduler,
  DONE,
  makeChunk,
  makeUsage,
  makeUsageChunk,
  sseValues,
  toolCallChunks,
  type MockResponse,
  type MockTransport,
  type RunHelpers,
} from 'rxchat/testing';

/** "Hello world" in three chunks (a, b, c), then the usage chunk (u) and [DONE] (d). */
const HELLO = sseValues({
  a: makeChunk({ role: 'assistant', content: 'Hel' }),
  b: makeChunk({ content: 'lo' }),
  c: makeChunk({ content: ' world', finishReason: 'stop' }),
  u: makeUsageChunk(makeUsage(12, 3)),
  d: DONE,
});

const ask = (content: string): ChatRequest => ({
  model: 'm',
  messages: [{ role: 'user', content }],
});

const testScheduler = () =>
  createTestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** TestBed with rxchat on a mock transport answering from `script` (on the test scheduler). */
function setUp(helpers: RunHelpers, script: MockResponse[], providers: Provider[] = []) {
  const transport = createMockTransport(helpers, script);
  TestBed.configureTestingModule({
    providers: [
      provideZonelessChangeDetection(),
      provideRxChat(
        { baseURL: 'http://test/v1' },
        withTransport(() => transport),
      ),
      ...providers,
    ],
  });
  return transport;
}

/** A resource in TestBed's injection context; its request effect runs at once. */
function resourceOf(options: ChatResourceOptions): ChatResource {
  const resource = TestBed.runInInjectionContext(() => chatResource(options));
  TestBed.tick();
  return resource;
}

/** What the resource shows, as one comparable value. */
const view = (resource: ChatResource) => ({ text: resource.text(), status: resource.status() });

describe('chatResource', () => {
  it('grows over several updates, at most one per animation frame, then resolves', () => {
    const scheduler = testScheduler();
    const seen: { text: string; status: string }[] = [];
    let resource!: ChatResource;
    scheduler.run((helpers) => {
      helpers.animate('------x----x----x'); // animation frames at 6, 11 and 16
      setUp(helpers, [{ body: '-a-b-c-----(ud|)', values: HELLO }]);
      resource = resourceOf({ request: () => ask('Hi') });
      seen.push(view(resource));
      for (let frame = 0; frame <= 12; frame++) {
        scheduler.schedule(() => {
          const now = view(resource);
          if (JSON.stringify(now) !== JSON.stringify(seen.at(-1))) seen.push(now);
        }, frame);
      }
    });
    // 'Hel' at once (frame 1); 'lo' (3) and ' world' (5) held for the frame at 6, together; the
    // end (11) at once. (A sample at frame n runs before what the body sends at n.)
    expect(seen).toEqual([
      { text: '', status: 'loading' },
      { text: 'Hel', status: 'streaming' },
      { text: 'Hello world', status: 'streaming' },
      { text: 'Hello world', status: 'resolved' },
    ]);
    expect(resource.usage()).toEqual(makeUsage(12, 3));
    expect(resource.completion()?.choices[0]?.finish_reason).toBe('stop');
    expect(resource.isLoading()).toBe(false);
    expect(resource.hasValue()).toBe(true);
    expect(resource.error()).toBeUndefined();
  });

  it('with throttle: false, updates after every chunk', () => {
    const scheduler = testScheduler();
    const texts: string[] = [];
    scheduler.run((helpers) => {
      setUp(helpers, [{ body: '-a-b-c-(ud|)', values: HELLO }]);
      const resource = resourceOf({ request: () => ask('Hi'), throttle: false });
      for (const frame of [2, 4, 6, 8])
        scheduler.schedule(() => texts.push(resource.text()), frame);
    });
    expect(texts).toEqual(['Hel', 'Hello', 'Hello world', 'Hello world']);
  });

  it('a change of the request unsubscribes from the running answer and sends the new one', () => {
    const scheduler = testScheduler();
    let transport!: MockTransport;
    let resource!: ChatResource;
    const question = signal('first');
    scheduler.run((helpers) => {
      transport = setUp(helpers, [
        { body: '-a-b------c-(ud|)', values: HELLO },
        { body: '-a-b-c-(ud|)', values: HELLO },
      ]);
      resource = resourceOf({ request: () => ask(question()), throttle: false });
      scheduler.schedule(() => {
        expect(view(resource)).toEqual({ text: 'Hello', status: 'streaming' });
        question.set('second');
        TestBed.tick();
        expect(view(resource)).toEqual({ text: '', status: 'loading' });
      }, 4);
      helpers.expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^---!');
      helpers.expectSubscriptions(transport.exchanges[1]!.body.subscriptions).toBe('----^------!');
    });
    expect(transport.requests.map((r) => r.json)).toMatchObject([
      { messages: [{ content: 'first' }] },
      { messages: [{ content: 'second' }] },
    ]);
    expect(view(resource)).toEqual({ text: 'Hello world', status: 'resolved' });
    expect(resource.request()).toEqual(ask('second'));
  });

  it('stop() closes the body and keeps the text, with status stopped', () => {
    const scheduler = testScheduler();
    let resource!: ChatResource;
    scheduler.run((helpers) => {
      helpers.animate('-x-x-x-x-x-x-x-x');
      const transport = setUp(helpers, [{ body: '-a-b-----c-(ud|)', values: HELLO }]);
      resource = resourceOf({ request: () => ask('Hi') });
      scheduler.schedule(() => expect(resource.stop()).toBe(true), 5);
      helpers.expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^----!');
    });
    expect(view(resource)).toEqual({ text: 'Hello', status: 'stopped' });
    expect(resource.isLoading()).toBe(false);
    expect(resource.usage()).toBeNull();
    expect(resource.stop()).toBe(false); // nothing left to stop
  });

  it('reload() sends the request again, keeping the answer until the new one arrives', () => {
    const scheduler = testScheduler();
    let transport!: MockTransport;
    const seen: { text: string; status: string }[] = [];
    scheduler.run((helpers) => {
      transport = setUp(helpers, [
        { body: '-a-b-c-(ud|)', values: HELLO },
        { body: '--a-b-c-(ud|)', values: HELLO },
      ]);
      const resource = resourceOf({ request: () => ask('Hi'), throttle: false });
      scheduler.schedule(() => {
        expect(resource.reload()).toBe(true);
        seen.push(view(resource));
      }, 10);
      scheduler.schedule(() => seen.push(view(resource)), 13);
      scheduler.schedule(() => seen.push(view(resource)), 20);
    });
    expect(transport.requests).toHaveLength(2);
    expect(seen).toEqual([
      { text: 'Hello world', status: 'reloading' },
      { text: 'Hel', status: 'streaming' },
      { text: 'Hello world', status: 'resolved' },
    ]);
  });

  it('a failure shows the typed error by code, and keeps what arrived', () => {
    let resource!: ChatResource;
    testScheduler().run((helpers) => {
      setUp(helpers, [
        {
          status: 401,
          responseHeaders: { 'content-type': 'application/json' },
          body: '(e|)',
          values: {
            e: JSON.stringify({ error: { message: 'Incorrect API key', code: 'invalid_api_key' } }),
          },
        },
      ]);
      resource = resourceOf({ request: () => ask('Hi') });
    });
    expect(resource.status()).toBe('error');
    expect(resource.error()?.code).toBe('http_error');
    expect(resource.error()?.status).toBe(401);
    expect(resource.error()?.message).toMatch(/Incorrect API key/);
    expect(resource.isLoading()).toBe(false);
  });

  it('a stream cut mid-answer shows its code and the text so far', () => {
    let resource!: ChatResource;
    testScheduler().run((helpers) => {
      setUp(helpers, [{ body: '-a-b-|', values: HELLO }]); // no [DONE], no finish_reason
      resource = resourceOf({ request: () => ask('Hi'), throttle: false });
    });
    expect(resource.error()?.code).toBe('truncated');
    expect(view(resource)).toEqual({ text: 'Hello', status: 'error' });
  });

  it('a request that fails at once (invalid) is an error, with nothing left to stop', () => {
    let transport!: MockTransport;
    let resource!: ChatResource;
    testScheduler().run((helpers) => {
      transport = setUp(helpers, []);
      resource = resourceOf({ request: () => ({ model: '', messages: [] }) });
    });
    expect(transport.requests).toHaveLength(0);
    expect(resource.status()).toBe('error');
    expect(resource.error()?.code).toBe('validation_error');
    expect(resource.stop()).toBe(false);
    expect(resource.status()).toBe('error');
  });

  it('an undefined request stays idle and sends nothing', () => {
    let transport!: MockTransport;
    let resource!: ChatResource;
    testScheduler().run((helpers) => {
      transport = setUp(helpers, []);
      resource = resourceOf({ request: () => undefined });
    });
    expect(transport.requests).toHaveLength(0);
    expect(view(resource)).toEqual({ text: '', status: 'idle' });
    expect(resource.hasValue()).toBe(false);
    expect(resource.reload()).toBe(false);
    expect(resource.stop()).toBe(false);
  });

  it('going back to undefined cancels the running request and is idle', () => {
    const scheduler = testScheduler();
    let resource!: ChatResource;
    const question = signal<string | undefined>('Hi');
    scheduler.run((helpers) => {
      const transport = setUp(helpers, [{ body: '-a-b-c-(ud|)', values: HELLO }]);
      resource = resourceOf({
        request: () => (question() ? ask(question()!) : undefined),
        throttle: false,
      });
      scheduler.schedule(() => {
        question.set(undefined);
        TestBed.tick();
      }, 2);
      helpers.expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^-!');
    });
    expect(view(resource)).toEqual({ text: '', status: 'idle' });
  });

  it('destroying its injector aborts the request', () => {
    const scheduler = testScheduler();
    let resource!: ChatResource;
    scheduler.run((helpers) => {
      const transport = setUp(helpers, [{ body: '-a-b-----c-(ud|)', values: HELLO }]);
      const injector = createEnvironmentInjector([], TestBed.inject(EnvironmentInjector));
      resource = chatResource({ request: () => ask('Hi'), injector, throttle: false });
      TestBed.tick();
      scheduler.schedule(() => injector.destroy(), 3);
      helpers.expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^--!');
    });
    expect(view(resource)).toEqual({ text: 'Hel', status: 'stopped' });
  });

  it('on the server it stays idle and sends nothing, unless server: true', () => {
    let transport!: MockTransport;
    let idle!: ChatResource;
    let allowed!: ChatResource;
    testScheduler().run((helpers) => {
      transport = setUp(
        helpers,
        [{ body: '-a-b-c-(ud|)', values: HELLO }],
        [{ provide: PLATFORM_ID, useValue: 'server' }],
      );
      idle = resourceOf({ request: () => ask('on the server') });
      allowed = resourceOf({ request: () => ask('allowed'), server: true, throttle: false });
    });
    expect(view(idle)).toEqual({ text: '', status: 'idle' });
    expect(idle.reload()).toBe(false);
    expect(transport.requests.map((r) => r.json)).toMatchObject([
      { messages: [{ content: 'allowed' }] },
    ]);
    expect(view(allowed)).toEqual({ text: 'Hello world', status: 'resolved' });
  });

  it('refuses an impossible throttle', () => {
    testScheduler().run((helpers) => {
      setUp(helpers, []);
      expect(() => resourceOf({ request: () => undefined, throttle: { frames: 0 } })).toThrow(
        RangeError,
      );
    });
  });
});

/** A conversation in TestBed's injection context. */
function chatOf(): Chat {
  return TestBed.runInInjectionContext(() =>
    injectChat({ model: 'm', system: 'Be brief.', throttle: false }),
  );
}

const summary = (chat: Chat) =>
  chat.messages().map((m) => `${m.role}:${m.content}${m.streaming ? '…' : ''}`);

describe('injectChat', () => {
  it('send() adds the user message and a growing answer, with usage per turn and in total', () => {
    const scheduler = testScheduler();
    let transport!: MockTransport;
    let chat!: Chat;
    const seen: string[][] = [];
    scheduler.run((helpers) => {
      transport = setUp(helpers, [
        { body: '-a-b-c-(ud|)', values: HELLO },
        { body: '-a-b-c-(ud|)', values: HELLO },
      ]);
      chat = chatOf();
      expect(chat.send('  ')).toBe(false);
      expect(chat.send('Hi')).toBe(true);
      expect(chat.status()).toBe('loading');
      TestBed.tick();
      scheduler.schedule(() => seen.push(summary(chat)), 4);
      scheduler.schedule(() => {
        seen.push(summary(chat));
        chat.send('Again');
        TestBed.tick();
      }, 10);
    });
    expect(seen).toEqual([
      ['user:Hi', 'assistant:Hello…'],
      ['user:Hi', 'assistant:Hello world'],
    ]);
    expect(summary(chat)).toEqual([
      'user:Hi',
      'assistant:Hello world',
      'user:Again',
      'assistant:Hello world',
    ]);
    expect(chat.status()).toBe('resolved');
    expect(chat.messages()[1]!.usage).toEqual(makeUsage(12, 3));
    expect(chat.messages()[3]!.usage).toEqual(makeUsage(12, 3));
    expect(chat.messages()[3]!.finishReason).toBe('stop');
    expect(chat.totalUsage()).toEqual({
      prompt_tokens: 24,
      completion_tokens: 6,
      total_tokens: 30,
    });
    // The second request carries the system message and the conversation so far.
    expect(transport.requests[1]!.json).toMatchObject({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello world' },
        { role: 'user', content: 'Again' },
      ],
    });
  });

  it('stop() keeps the partial answer; regenerate() replaces it with a new one', () => {
    const scheduler = testScheduler();
    let transport!: MockTransport;
    let chat!: Chat;
    scheduler.run((helpers) => {
      transport = setUp(helpers, [
        { body: '-a-b-----c-(ud|)', values: HELLO },
        { body: '-a-b-c-(ud|)', values: HELLO },
      ]);
      chat = chatOf();
      chat.send('Hi');
      TestBed.tick();
      scheduler.schedule(() => {
        expect(chat.stop()).toBe(true);
        expect(chat.status()).toBe('stopped');
        expect(summary(chat)).toEqual(['user:Hi', 'assistant:Hello']);
        expect(chat.regenerate()).toBe(true);
        expect(summary(chat)).toEqual(['user:Hi', 'assistant:…']);
        TestBed.tick();
      }, 4);
      helpers.expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^---!');
    });
    expect(summary(chat)).toEqual(['user:Hi', 'assistant:Hello world']);
    expect(transport.requests[1]!.json).toMatchObject({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
    });
    expect(chat.totalUsage().total_tokens).toBe(15); // the stopped answer reported none
  });

  it('shows the tool calls of an answer as they complete', () => {
    let chat!: Chat;
    testScheduler().run((helpers) => {
      // The call's id and name (a), its arguments in two pieces (b, c), finish_reason (f).
      const [a, b, c, f] = toolCallChunks({
        id: 'call_1',
        name: 'weather',
        argumentPieces: ['{"city":', '"Oslo"}'],
      });
      setUp(helpers, [{ body: '-a-b-c-f-(d|)', values: sseValues({ a, b, c, f, d: DONE }) }]);
      chat = chatOf();
      chat.send('Weather in Oslo?');
      TestBed.tick();
    });
    const answer = chat.messages()[1]!;
    expect(answer.toolCalls).toEqual([
      {
        id: 'call_1',
        type: 'function',
        function: { name: 'weather', arguments: '{"city":"Oslo"}' },
      },
    ]);
    expect(answer.finishReason).toBe('tool_calls');
    expect(answer.content).toBe('');
    expect(chat.status()).toBe('resolved');
  });

  it('a failed answer shows its error code and the empty answer', () => {
    let chat!: Chat;
    testScheduler().run((helpers) => {
      setUp(helpers, [
        { status: 500, body: '(x|)', values: { x: 'boom' } },
        { body: '-a-b-c-(ud|)', values: HELLO },
      ]);
      chat = TestBed.runInInjectionContext(() =>
        injectChat({ model: 'm', throttle: false, requestOptions: { retry: false } }),
      );
      chat.send('Hi');
      TestBed.tick();
    });
    expect(chat.status()).toBe('error');
    expect(chat.error()?.code).toBe('http_error');
    expect(summary(chat)).toEqual(['user:Hi', 'assistant:']);
  });
});
