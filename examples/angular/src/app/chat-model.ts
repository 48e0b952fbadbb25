import { InjectionToken } from '@angular/core';

/** The model every request asks for (`?model=` in the app, `mock-1` by default). */
export const CHAT_MODEL = new InjectionToken<string>('CHAT_MODEL', { factory: () => 'mock-1' });
