import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import {
  Component,
  createEnvironmentInjector,
  EnvironmentInjector,
  runInInjectionContext,
  signal,
} from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom, Observable } from 'rxjs';
import { contentDeltas, RxChatError, type ChatHttpResponse, type ChatTransport } from 'rxchat';
import {
  injectChatClient,
  provideRxChat,
  RX_CHAT_CLIENT,
  withFetchTransport,
  withHttpClientTransport,
  withTransport,
} from 'rxchat/angular';
import { createMockTransport, DONE, makeChunk, sseValues } from 'rxchat/testing';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';

const request = { model: 'm', messages: [{ role: 'user', content: 'Hi' }] };

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** In virtual time: a transport that answers Hel, lo, [DONE] at frames 1, 3, 5. */
function scripted(helpers: Pick<RunHelpers, 'cold'>, body = '-a-b-d|') {
  return createMockTransport(helpers, [
    {
      body,
      values: sseValues({
        a: makeChunk({ content: 'Hel' }),
        b: makeChunk({ content: 'lo', finishReason: 'stop' }),
        d: DONE,
      }),
    },
  ]);
}

/** provideRxChat for api.test with `transport`. */
function provideWith(transport: ChatTransport): void {
  TestBed.configureTestingModule({
    providers: [
      provideRxChat(
        { baseURL: 'http://api.test/v1' },
        withTransport(() => transport),
      ),
    ],
  });
}

/** A transport whose requests never answer, counting how many were let go. */
function pendingTransport() {
  let count = 0;
  const pending: ChatTransport = () => new Observable<ChatHttpResponse>(() => () => count++);
  return { pending, cancelled: () => count };
}

@Component({ selector: 'chat-probe', template: '{{ answer() }}' })
class ChatProbe {
  private readonly chat = injectChatClient();
  readonly answer = signal('');
  readonly events: string[] = [];
  ask(): void {
    this.chat
      .stream(request)
      .pipe(contentDeltas())
      .subscribe({
        next: (text) => this.answer.update((all) => all + text),
        error: (error: RxChatError) => this.events.push(`error:${error.code}`),
        complete: () => this.events.push('complete'),
      });
  }
}

describe('provideRxChat', () => {
  it('builds the client from the config and the transport feature', () => {
    scheduler().run((helpers) => {
      const transport = scripted(helpers);
      TestBed.configureTestingModule({
        providers: [
          provideRxChat(
            { baseURL: 'http://api.test/v1', apiKey: 'sk-x' },
            withTransport(() => transport),
          ),
        ],
      });
      const deltas = TestBed.inject(RX_CHAT_CLIENT).stream(request).pipe(contentDeltas());
      helpers.expectObservable(deltas).toBe('-a-b-|', { a: 'Hel', b: 'lo' });
      helpers.flush();
      expect(transport.requests[0]!.request.url).toBe('http://api.test/v1/chat/completions');
      expect(transport.requests[0]!.request.headers['authorization']).toBe('Bearer sk-x');
    });
  });

  it('sends through the app HttpClient with withHttpClientTransport()', () => {
    TestBed.configureTestingModule({
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRxChat({ baseURL: 'http://api.test/v1' }, withHttpClientTransport()),
      ],
    });
    TestBed.inject(RX_CHAT_CLIENT).stream(request).subscribe();
    const req = TestBed.inject(HttpTestingController).expectOne(
      'http://api.test/v1/chat/completions',
    );
    expect(req.request.method).toBe('POST');
    req.flush('data: [DONE]\n\n');
  });

  it('sends with the given fetch with withFetchTransport()', async () => {
    const calls: string[] = [];
    const fakeFetch = (async (url: string) => {
      calls.push(url);
      return new Response(
        'data: {"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n',
        {
          headers: { 'content-type': 'text/event-stream' },
        },
      );
    }) as unknown as typeof fetch;
    TestBed.configureTestingModule({
      providers: [
        provideRxChat({ baseURL: 'http://api.test/v1' }, withFetchTransport({ fetch: fakeFetch })),
      ],
    });
    const text = await new Promise<string>((resolve, reject) => {
      let all = '';
      TestBed.inject(RX_CHAT_CLIENT)
        .stream(request)
        .pipe(contentDeltas())
        .subscribe({ next: (t) => (all += t), error: reject, complete: () => resolve(all) });
    });
    expect(text).toBe('ok');
    expect(calls).toEqual(['http://api.test/v1/chat/completions']);
  });

  it('sends with the global fetch when no transport feature is given', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => {
      calls.push(url);
      return new Response(
        'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n',
        {
          headers: { 'content-type': 'text/event-stream' },
        },
      );
    });
    try {
      TestBed.configureTestingModule({
        providers: [provideRxChat({ baseURL: 'http://api.test/v1' })],
      });
      const text = await firstValueFrom(
        TestBed.inject(RX_CHAT_CLIENT).stream(request).pipe(contentDeltas()),
      );
      expect(text).toBe('hi');
      expect(calls).toEqual(['http://api.test/v1/chat/completions']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('refuses two transport features', () => {
    expect(() => provideRxChat({}, withFetchTransport(), withHttpClientTransport())).toThrow(
      /at most one transport/,
    );
  });

  it('aborts every request of a client when its environment injector is destroyed', () => {
    const { pending, cancelled } = pendingTransport();
    const parent = TestBed.inject(EnvironmentInjector);
    const routeInjector = createEnvironmentInjector(
      [
        provideRxChat(
          { baseURL: 'http://lazy.test/v1' },
          withTransport(() => pending),
        ),
      ],
      parent,
    );
    const client = routeInjector.get(RX_CHAT_CLIENT);
    expect(client).not.toBe(TestBed.inject(RX_CHAT_CLIENT)); // the route has its own client
    let failure: RxChatError | undefined;
    client.stream(request).subscribe({ error: (error: RxChatError) => (failure = error) });
    expect(cancelled()).toBe(0);
    routeInjector.destroy();
    expect(failure?.code).toBe('aborted');
    expect(cancelled()).toBe(1); // the request itself was let go
  });

  it("aborts with the config's own signal too, and lets go of it with the injector", () => {
    const caller = new AbortController();
    const { pending, cancelled } = pendingTransport();
    TestBed.configureTestingModule({
      providers: [
        provideRxChat(
          { signal: caller.signal },
          withTransport(() => pending),
        ),
      ],
    });
    let failure: RxChatError | undefined;
    TestBed.inject(RX_CHAT_CLIENT)
      .stream(request)
      .subscribe({ error: (error: RxChatError) => (failure = error) });
    caller.abort('user left');
    expect(failure?.code).toBe('aborted');
    expect(cancelled()).toBe(1);
  });

  it("lets go of the config's signal when its injector is destroyed", () => {
    const caller = new AbortController();
    const removed = vi.spyOn(caller.signal, 'removeEventListener');
    const routeInjector = createEnvironmentInjector(
      [provideRxChat({ signal: caller.signal })],
      TestBed.inject(EnvironmentInjector),
    );
    routeInjector.get(RX_CHAT_CLIENT);
    expect(removed).not.toHaveBeenCalled();
    routeInjector.destroy();
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
  });
});

describe('injectChatClient', () => {
  it('streams into a component like any client while the component lives', () => {
    scheduler().run((helpers) => {
      const transport = scripted(helpers);
      provideWith(transport);
      const fixture = TestBed.createComponent(ChatProbe);
      fixture.componentInstance.ask();
      helpers.flush();
      expect(fixture.componentInstance.answer()).toBe('Hello');
      expect(fixture.componentInstance.events).toEqual(['complete']);
    });
  });

  it('unsubscribes (aborting the request) when the component goes mid-stream, with no complete', () => {
    scheduler().run((helpers) => {
      const transport = scripted(helpers, '-a-----b-d|');
      provideWith(transport);
      const fixture = TestBed.createComponent(ChatProbe);
      const probe = fixture.componentInstance;
      probe.ask();
      helpers.cold('---x|').subscribe(() => fixture.destroy());
      helpers.flush();
      expect(probe.answer()).toBe('Hel');
      expect(probe.events).toEqual([]); // neither complete (a false success) nor an error
      helpers.expectSubscriptions(transport.exchanges[0]!.body.subscriptions).toBe('^--!');
    });
  });

  it('fails a stream subscribed after the component is gone with aborted, sending nothing', async () => {
    let sent = 0;
    const counting: ChatTransport = () => {
      sent++;
      return new Observable<ChatHttpResponse>();
    };
    TestBed.configureTestingModule({
      providers: [
        provideRxChat(
          { baseURL: 'http://api.test/v1' },
          withTransport(() => counting),
        ),
      ],
    });
    const fixture = TestBed.createComponent(ChatProbe);
    const chat = runInInjectionContext(fixture.componentRef.injector, () => injectChatClient());
    fixture.destroy();
    await expect(firstValueFrom(chat.complete(request))).rejects.toMatchObject({ code: 'aborted' });
    expect(sent).toBe(0);
  });
});
