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
  const destroyed = new AbortController();
  inject(DestroyRef).onDestroy(() =>
    destroyed.abort('The injector of this chat client was destroyed'),
  );
  const signal = config.signal ? anySignal(config.signal, destroyed.signal) : destroyed.signal;
  return createChatClient({ ...config, transport, signal });
}

/** A feature of {@link provideRxChat}, made by a `with…()` function. */
export interface RxChatFeature {
  readonly kind: 'transport';
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
 * cut-off answer for a finished one. Call it in an injection context.
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
      // Too late: nothing to start. (`destroyed` is missing from older DestroyRefs.)
      if ((destroyRef as { destroyed?: boolean }).destroyed) return;
      const subscription = source.subscribe(subscriber);
      const unregister = destroyRef.onDestroy(() => subscription.unsubscribe());
      return () => {
        unregister();
        subscription.unsubscribe();
      };
    });
  return {
    stream: (request, options) => bound(client.stream(request, options)),
    complete: (request, options) => bound(client.complete(request, options)),
  };
}

/** Aborts when either signal does (AbortSignal.any is missing from older browsers). */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  const both = new AbortController();
  for (const signal of [a, b]) {
    if (signal.aborted) {
      both.abort(signal.reason);
      break;
    }
    signal.addEventListener('abort', () => both.abort(signal.reason), { once: true });
  }
  return both.signal;
}
