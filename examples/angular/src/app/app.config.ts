import { provideHttpClient, withFetch } from '@angular/common/http';
import {
  type ApplicationConfig,
  provideBrowserGlobalErrorListeners,
  provideZoneChangeDetection,
  provideZonelessChangeDetection,
} from '@angular/core';
import { provideRxChat, withHttpClientTransport } from 'rxchat/angular';
import { CHAT_MODEL } from './chat-session';

// `?api=http://127.0.0.1:8787/v1` points the app at any OpenAI-compatible endpoint (the e2e test
// passes the mock server's); `?model=` picks the model. Without them: `/v1` on this origin.
const query = new URLSearchParams(location.search);

/** How change detection runs: zoneless (the default), or zone.js (`?zone`, see main.ts). */
export type ChangeDetection = 'zoneless' | 'zone.js';

export const appConfig = (changeDetection: ChangeDetection = 'zoneless'): ApplicationConfig => ({
  providers: [
    provideBrowserGlobalErrorListeners(),
    changeDetection === 'zone.js'
      ? provideZoneChangeDetection({ eventCoalescing: true })
      : provideZonelessChangeDetection(),
    // Chat requests go through HttpClient, so the app's interceptors apply to them too.
    provideHttpClient(withFetch()),
    provideRxChat({ baseURL: query.get('api') ?? '/v1' }, withHttpClientTransport()),
    { provide: CHAT_MODEL, useValue: query.get('model') ?? 'mock-1' },
  ],
});
