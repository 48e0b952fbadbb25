import {
  provideHttpClient,
  withFetch,
  withInterceptors,
  type HttpInterceptorFn,
} from '@angular/common/http';
import {
  type ApplicationConfig,
  provideBrowserGlobalErrorListeners,
  provideZoneChangeDetection,
  provideZonelessChangeDetection,
} from '@angular/core';
import {
  provideRxChat,
  RX_CHAT_REQUEST,
  withFetchTransport,
  withHttpClientTransport,
} from 'rxchat/angular';
import { CHAT_MODEL } from './chat-model';

// `?api=http://127.0.0.1:8787/v1` points the app at any OpenAI-compatible endpoint (the e2e test
// passes the mock server's); `?model=` picks the model. Without them: `/v1` on this origin.
// `?transport=fetch` sends with the browser's fetch instead of HttpClient (the e2e test runs both).
// `?fault=status:401` asks rxchat's mock server for a failure (its `x-mock-fault` header).
const query = new URLSearchParams(location.search);
const fault = query.get('fault');

/** An app interceptor, as auth or logging would be: it tags the chat requests it sees. */
export const tagChatRequests: HttpInterceptorFn = (request, next) =>
  next(
    request.context.get(RX_CHAT_REQUEST)
      ? request.clone({ setHeaders: { 'x-app-interceptor': 'rxchat-example' } })
      : request,
  );

/** How change detection runs: zoneless (the default), or zone.js (`?zone`, see main.ts). */
export type ChangeDetection = 'zoneless' | 'zone.js';

export const appConfig = (changeDetection: ChangeDetection = 'zoneless'): ApplicationConfig => ({
  providers: [
    provideBrowserGlobalErrorListeners(),
    changeDetection === 'zone.js'
      ? provideZoneChangeDetection({ eventCoalescing: true })
      : provideZonelessChangeDetection(),
    // Chat requests go through HttpClient, so the app's interceptors apply to them too.
    provideHttpClient(withFetch(), withInterceptors([tagChatRequests])),
    provideRxChat(
      {
        baseURL: query.get('api') ?? '/v1',
        ...(fault ? { headers: { 'x-mock-fault': fault } } : {}),
      },
      query.get('transport') === 'fetch' ? withFetchTransport() : withHttpClientTransport(),
    ),
    { provide: CHAT_MODEL, useValue: query.get('model') ?? 'mock-1' },
  ],
});
