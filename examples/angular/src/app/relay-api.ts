import { Injectable, InjectionToken, inject } from '@angular/core';
import { map, Observable, reduce, switchMap } from 'rxjs';
import {
  contentDeltas,
  fetchTransport,
  relayEntries,
  RxChatError,
  type ChatHttpResponse,
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
    return this.post(`${this.base}/runs`, request, { 'idempotency-key': key }).pipe(
      map((json) => {
        const { id, events, stop } = (json ?? {}) as Record<string, unknown>;
        if (typeof id !== 'string' || typeof events !== 'string' || typeof stop !== 'string') {
          throw new RxChatError('validation_error', 'The relay did not answer with a run');
        }
        return { runId: id, events: this.resolve(events), stop: this.resolve(stop) };
      }),
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
    return this.post(url).pipe(
      map((json) => (json as { stopped?: unknown } | null)?.stopped === true),
    );
  }

  private resolve(path: string): string {
    return new URL(path, this.base).href;
  }

  /** A POST whose answer is JSON; a non-2xx answer fails with an `http_error`. */
  private post(
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Observable<unknown> {
    return this.transport({
      method: 'POST',
      url,
      headers: { accept: 'application/json', 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).pipe(
      switchMap((response) =>
        readText(response).pipe(
          map((text) => {
            const json: unknown = text.trim() === '' ? null : JSON.parse(text);
            if (response.status >= 200 && response.status <= 299) return json;
            const error = (json as { error?: { message?: string; code?: string } } | null)?.error;
            throw new RxChatError(
              'http_error',
              `${response.status}${error?.code ? ` ${error.code}` : ''}: ${error?.message ?? text}`,
              { status: response.status },
            );
          }),
        ),
      ),
    );
  }
}

function readText(response: ChatHttpResponse): Observable<string> {
  const decoder = new TextDecoder();
  return response.body.pipe(
    reduce(
      (text, piece) =>
        text + (typeof piece === 'string' ? piece : decoder.decode(piece, { stream: true })),
      '',
    ),
    map((text) => text + decoder.decode()),
  );
}
