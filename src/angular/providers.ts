import { HttpClient } from '@angular/common/http';
import {
  DestroyRef,
  inject,
  InjectionToken,
  makeEnvironmentProviders,
  type EnvironmentProviders,
  type Provider,
} from '@angular/core';
import { Observable } from 'rxjs';
import {
  createChatClient,
  fetchTransport,
  RxChatError,
  type ChatClient,
  type ChatClientOptions,
  type ChatTransport,
  type FetchTransportOptions,
} from 'rxchat';
import { httpClientTransport } from './http-client-transport';

/** The client options of {@link provideRxChat}; the transport comes from a feature. */
export type RxChatConfig = Omit<ChatClientOptions, 'transport'>;

/** The options given to {@link provideRxChat}. Default: `{}` (OpenAI's endpoint, no key). */
export const RX_CHAT_CONFIG = new InjectionToken<RxChatConfig>('RX_CHAT_CONFIG', {
  providedIn: 'root',
  factory: () => ({}),
});

/**
 * How chat requests are sent. Default: `fetchTransport()`; {@link withHttpClientTransport}
 * routes them through the app's `HttpClient` instead.
 */
export const RX_CHAT_TRANSPORT = new InjectionToken<ChatTransport>('RX_CHAT_TRANSPORT', {
  providedIn: 'root',
  factory: () => fetchTransport(),
});

/**
 * The app's {@link ChatClient}, built from {@link RX_CHAT_CONFIG} and {@link RX_CHAT_TRANSPORT}.
 * Every request it started is aborted when its injector is destroyed (the app, or a lazy
 * route's environment injector), so nothing keeps streaming (and billing) after the UI is gone.
 */
export const RX_CHAT_CLIENT = new InjectionToken<ChatClient>('RX_CHAT_CLIENT', {
  providedIn: 'root',
  factory: clientOfThisInjector,
});

function clientOfThisInjector(): ChatClient {
  const config = inject(RX_CHAT_CONFIG);
  const transport = inject(RX_CHAT_TRANSPORT);
  const destroyRef = inject(DestroyRef);
  const destroyed = new AbortController();
  destroyRef.onDestroy(() => destroyed.abort('The injector of this chat client was destroyed'));
  // The caller's own signal aborts the client too; its listener goes with the injector.
  const outer = config.signal;
  if (outer) {
    const relay = () => destroyed.abort(outer.reason);
    if (outer.aborted) relay();
    else {
      outer.addEventListener('abort', relay, { once: true });
      destroyRef.onDestroy(() => outer.removeEventListener('abort', relay));
    }
  }
  return createChatClient({ ...config, transport, signal: destroyed.signal });
}

/** A feature of {@link provideRxChat}, made by a `with…()` function. */
export interface RxChatFeature {
  /** What the feature sets; {@link provideRxChat} takes at most one `'transport'` feature. */
  readonly kind: 'transport';
  /** The providers the feature adds to those of {@link provideRxChat}. */
  readonly providers: Provider[];
}

/**
 * Sets up rxchat for an Angular app, a lazy route or a test: the client options and features
 * such as the transport. Without a transport feature, requests go through `fetch`.
 *
 * @example
 * ```ts
 * bootstrapApplication(App, {
 *   providers: [
 *     provideZonelessChangeDetection(),
 *     provideHttpClient(withFetch(), withInterceptors([auth])),
 *     provideRxChat({ baseURL: '/api/v1' }, withHttpClientTransport()),
 *   ],
 * });
 * ```
 */
export function provideRxChat(
  config: RxChatConfig = {},
  ...features: RxChatFeature[]
): EnvironmentProviders {
  const transports = features.filter((feature) => feature.kind === 'transport');
  if (transports.length > 1) {
    throw new Error('provideRxChat: give at most one transport feature');
  }
  return makeEnvironmentProviders([
    { provide: RX_CHAT_CONFIG, useValue: config },
    // A client per injector that provides rxchat, so a lazy route's settings are its own.
    { provide: RX_CHAT_CLIENT, useFactory: clientOfThisInjector },
    ...features.flatMap((feature) => feature.providers),
  ]);
}

/**
 * Sends chat requests through the app's `HttpClient`, so its interceptors (auth, logging) apply.
 * Needs `provideHttpClient(withFetch())`. See {@link httpClientTransport}.
 */
export function withHttpClientTransport(): RxChatFeature {
  return {
    kind: 'transport',
    providers: [
      { provide: RX_CHAT_TRANSPORT, useFactory: () => httpClientTransport(inject(HttpClient)) },
    ],
  };
}

/** Sends chat requests with `fetch` (the default), with options such as a custom `fetch`. */
export function withFetchTransport(options: FetchTransportOptions = {}): RxChatFeature {
  return {
    kind: 'transport',
    providers: [{ provide: RX_CHAT_TRANSPORT, useFactory: () => fetchTransport(options) }],
  };
}

/**
 * Sends chat requests with a transport of your own, made in an injection context: for example
 * `createMockTransport(...)` from `rxchat/testing` in a test.
 */
export function withTransport(factory: () => ChatTransport): RxChatFeature {
  return { kind: 'transport', providers: [{ provide: RX_CHAT_TRANSPORT, useFactory: factory }] };
}

/**
 * The chat client, bound to the caller: when the component, directive or service that called
 * this is destroyed, every stream it started through the returned client is unsubscribed
 * (which aborts its request), with no further notification, so nothing downstream mistakes a
 * cut-off answer for a finished one. A stream subscribed after that fails at once with
 * `aborted`, without sending anything. Call it in an injection context.
 *
 * @example
 * ```ts
 * export class Chat {
 *   private readonly chat = injectChatClient();
 *   readonly answer = signal('');
 *   ask(prompt: string) {
 *     this.chat
 *       .stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] })
 *       .pipe(contentDeltas(), throttleText({ frames: 1 }))
 *       .subscribe((text) => this.answer.update((all) => all + text));
 *   }
 * }
 * ```
 */
export function injectChatClient(): ChatClient {
  const client = inject(RX_CHAT_CLIENT);
  const destroyRef = inject(DestroyRef);
  const bound = <T>(source: Observable<T>): Observable<T> =>
    new Observable<T>((subscriber) => {
      let unregister: () => void;
      try {
        unregister = destroyRef.onDestroy(() => subscriber.unsubscribe());
      } catch {
        // Too late (Angular throws NG0911 once destroyed): nothing is sent, and a subscriber
        // that waits for an outcome (firstValueFrom) gets one instead of waiting forever.
        subscriber.error(
          new RxChatError(
            'aborted',
            'The component or service that owns this chat client was already destroyed',
            { retryable: false },
          ),
        );
        return;
      }
      const subscription = source.subscribe(subscriber);
      return () => {
        unregister();
        subscription.unsubscribe();
      };
    });
  return {
    stream: (request, options) => bound(client.stream(request, options)),
    complete: (request, options) => bound(client.complete(request, options)),
    responses: (request, options) => bound(client.responses(request, options)),
    runTools: (request, options) => bound(client.runTools(request, options)),
  };
}
