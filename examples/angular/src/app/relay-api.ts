import { Injectable, InjectionToken, inject } from '@angular/core';
import { map, Observable } from 'rxjs';
import {
  contentDeltas,
  fetchTransport,
  relayEntries,
  startRelayRun,
  stopRelayRun,
  type ChatRequest,
  type ChatStreamEvent,
  type ChatTransport,
  type RelayStreamEntry,
} from 'rxchat';

/**
 * Where the relay is: `{origin}/relay`, the origin being the `?api=` endpoint's (the mock server
 * of `rxchat serve --relay` serves the model at `/v1` and the relay at `/relay`), else this page's.
 */
export const RELAY_URL = new InjectionToken<string>('RELAY_URL', {
  factory: () => {
    const api = new URLSearchParams(location.search).get('api') ?? '/v1';
    return `${new URL(api, location.href).origin}/relay`;
  },
});

/** The transport every relay request goes through (tests give a scripted one). */
export const RELAY_TRANSPORT = new InjectionToken<ChatTransport>('RELAY_TRANSPORT', {
  factory: () => fetchTransport(),
});

/** Where a run's state is kept across a reload of the page. */
export const RELAY_STORAGE = new InjectionToken<Storage>('RELAY_STORAGE', {
  factory: () => sessionStorage,
});

/** A started run, as `POST {relay}/runs` answers it (its URLs made absolute). */
export interface RelayRunLinks {
  runId: string;
  /** `GET`: the run's events as SSE, resumable by offset. */
  events: string;
  /** `POST`: stops the run (its upstream request is aborted). */
  stop: string;
}

/** The text a single event carries: `contentDeltas()` over that one event. */
export function textOf(event: ChatStreamEvent): string {
  let text = '';
  new Observable<ChatStreamEvent>((subscriber) => {
    subscriber.next(event);
    subscriber.complete();
  })
    .pipe(contentDeltas())
    .subscribe((piece) => (text += piece));
  return text;
}

/** The relay's three requests: start a run, read its events (from an offset), stop it. */
@Injectable({ providedIn: 'root' })
export class RelayApi {
  private readonly base = inject(RELAY_URL).replace(/\/+$/, '');
  private readonly transport = inject(RELAY_TRANSPORT);

  /**
   * `POST {relay}/runs` with the chat request: the relay starts the run under `key` (its
   * `Idempotency-Key`), or, when a run with that key exists (this page posted it before a
   * reload), answers with that run: an answer is never started twice.
   */
  start(request: ChatRequest, key: string): Observable<RelayRunLinks> {
    return startRelayRun(`${this.base}/runs`, request, { key, transport: this.transport }).pipe(
      map(({ id, events, stop }) => ({ runId: id, events, stop })),
    );
  }

  /**
   * The run's events after offset `after` (-1: all of them), each with its offset,
   * reconnecting by itself; completes at the run's end, fails with `aborted` when the run was
   * stopped.
   */
  events(url: string, after: number): Observable<RelayStreamEntry> {
    return relayEntries(url, { after, transport: this.transport });
  }

  /** `POST …/stop`: true if this call stopped the run, false if it had ended already. */
  stop(url: string): Observable<boolean> {
    return stopRelayRun(url, { transport: this.transport });
  }
}
