import {
  asyncScheduler,
  map,
  Observable,
  Subscription,
  type SchedulerLike,
  type Subscriber,
} from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { watchSignals } from '../client/abort';
import {
  createHttpRequest,
  redactError,
  redactHeaders,
  secretHeaderTest,
  secretsOf,
} from '../client/secrets';
import {
  connectionError,
  excerpt,
  isRecord,
  RX_CHAT_ERROR_CODES,
  RxChatError,
  type RxChatErrorCode,
  type RxChatErrorOptions,
  type TimeoutPhase,
} from '../errors';
import { httpError } from '../response/http-error';
import { readText } from '../response/read-text';
import { decodeSse, DEFAULT_MAX_EVENT_BYTES, type SseEvent } from '../sse/decode-sse';
import { fetchTransport } from '../transport/fetch';
import { callTransport } from '../transport/transport-response';
import type { ChatHttpResponse, ChatTransport } from '../transport/types';

/** How {@link relayStream} reconnects after a dropped connection. All times in milliseconds. */
export interface RelayRetryOptions {
  /**
   * How many reconnections in a row may fail (deliver no entry) before the stream fails with the
   * last error. A connection that delivered at least one entry resets the count. Default 5.
   */
  maxRetries?: number;
  /** The wait before the first reconnection; it doubles for each further one. Default 500. */
  baseDelay?: number;
  /**
   * The longest wait between reconnections, also the most a server's `retry-after` is granted.
   * Default 8000.
   */
  maxDelay?: number;
  /**
   * The fraction of a backoff wait that is randomly taken off, so that many readers do not
   * reconnect in step: the wait is `backoff * (1 - jitter * random())`. 0 turns it off. Default
   * 0.25. A `retry-after` wait is never jittered.
   */
  jitter?: number;
  /** The source of randomness for jitter, returning a number in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** Options of {@link relayStream}. */
export interface RelayStreamOptions {
  /** The transport that sends each GET. Default `fetchTransport()`. */
  transport?: ChatTransport;
  /** Extra request headers (an `authorization`, a cookie-less token); secret ones are redacted. */
  headers?: Record<string, string>;
  /** Reconnection after a dropped connection, a 5xx or a 429. */
  retry?: RelayRetryOptions;
  /** The scheduler that times the reconnection waits. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /** Aborting it fails the stream with `aborted` (the run itself goes on). */
  signal?: AbortSignal;
  /** The largest one server-sent event may be (see `decodeSse`). Default 4 MiB. */
  maxEventBytes?: number;
  /**
   * Start after this offset: the reader already has the entries up to it (kept, say, in
   * `sessionStorage` across a page reload). Default -1: the whole run from its first entry.
   */
  after?: number;
}

/** How much of a non-2xx body goes into the `http_error`. */
const ERROR_BODY_CHARS = 4096;

/**
 * The events of a relayed run (the SSE endpoint of `rxchat/relay`, `GET …/runs/:id/events`), as
 * a cold Observable: each subscription opens its own connection and emits every entry of the
 * run from the start, in order, then completes when the run completes.
 *
 * - **Resumes by itself.** When the connection drops (the body ends or breaks off before the
 *   run's end, a connection error, a 5xx or a 429), it reconnects after a backoff, asking for the
 *   entries after the last one it emitted (`Last-Event-ID` and `?after=`), so no entry is lost
 *   and none is emitted twice. After `retry.maxRetries` failed reconnections in a row it fails
 *   with the last error (`connection_error`, `http_error` or `truncated`).
 * - **204 No Content** (the relay's answer to a reader whose `Last-Event-ID` is the run's end)
 *   completes.
 * - **Other statuses fail at once**: 404 (unknown or expired run), 403 and every other 4xx are
 *   an `http_error`.
 * - **The run's end**: `completed` completes; `errored` fails with the run's error (its code
 *   when known, else `stream_error`; not retryable); `stopped` fails with `aborted` ("The run was
 *   stopped"): this is how every reader sees a run that someone stopped; `truncated` fails with
 *   `truncated` (the producer died before the end). An entry that is not JSON fails with
 *   `parse_error`.
 * - **Unsubscribing only detaches**: it closes this reader's connection; the run goes on. Stopping
 *   the run is the app's call (`POST …/stop`).
 *
 * Every entry is emitted, in order, whatever its event's `type` (rxchat's operators skip kinds
 * they do not know, so a relay carrying a newer event kind breaks no reader): the n-th event
 * emitted has offset `after + n` (offsets are consecutive), which is how a page can keep its
 * place across a reload. Entries without a readable integer `id` are emitted too (but cannot be
 * resumed after); SSE events with another name than `message` or `end` are ignored.
 *
 * @example
 * ```ts
 * import { contentDeltas, relayStream, throttleText } from 'rxchat';
 *
 * relayStream(`/api/relay/runs/${runId}/events`)
 *   .pipe(contentDeltas(), throttleText({ interval: 50 }))
 *   .subscribe((text) => (output.textContent += text));
 * ```
 */
export function relayStream(
  url: string,
  options: RelayStreamOptions = {},
): Observable<ChatStreamEvent> {
  return relayEntries(url, options).pipe(map((entry) => entry.event));
}

/** One entry of a relayed run as {@link relayEntries} emits it: the event and its offset. */
export interface RelayStreamEntry {
  /** The entry's offset in the run's log (its SSE `id`): pass it as `after` to resume. */
  offset: number;
  /** The run's event. */
  event: ChatStreamEvent;
}

/**
 * {@link relayStream} with each event's offset: the same connections, resumption and ends, but
 * `{ offset, event }` entries, for a page that keeps its place in the run (say, the text so far
 * and the offset it reached, in `sessionStorage`) to resume after a reload with `{ after }`.
 * An entry that came without an `id` gets the offset after the previous one.
 *
 * @example
 * ```ts
 * import { relayEntries } from 'rxchat';
 *
 * const saved = JSON.parse(sessionStorage.getItem('run') ?? '{"after":-1,"text":""}');
 * relayEntries(eventsUrl, { after: saved.after }).subscribe(({ offset, event }) => {
 *   if (event.type === 'chunk') saved.text += event.chunk.choices?.[0]?.delta?.content ?? '';
 *   saved.after = offset;
 *   sessionStorage.setItem('run', JSON.stringify(saved));
 * });
 * ```
 */
export function relayEntries(
  url: string,
  options: RelayStreamOptions = {},
): Observable<RelayStreamEntry> {
  const settings = relaySettings(options);
  return new Observable<RelayStreamEntry>((subscriber) => {
    const reader = new RelayReader(url, settings, subscriber);
    reader.start();
    return () => reader.stop();
  });
}

interface RelaySettings {
  transport: ChatTransport;
  headers: Record<string, string>;
  maxRetries: number;
  baseDelay: number;
  maxDelay: number;
  jitter: number;
  random: () => number;
  scheduler: SchedulerLike;
  signal: AbortSignal | undefined;
  maxEventBytes: number;
  after: number;
}

function relaySettings(options: RelayStreamOptions): RelaySettings {
  const {
    maxRetries = 5,
    baseDelay = 500,
    maxDelay = 8000,
    jitter = 0.25,
    random = Math.random,
  } = options.retry ?? {};
  const check = (name: string, value: number) => {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`relayStream: ${name} must be a non-negative number`);
    }
  };
  check('retry.maxRetries', maxRetries);
  check('retry.baseDelay', baseDelay);
  check('retry.maxDelay', maxDelay);
  const after = options.after ?? -1;
  if (!Number.isSafeInteger(after) || after < -1) {
    throw new RangeError('relayStream: after must be an integer offset >= -1');
  }
  if (!(jitter >= 0 && jitter <= 1))
    throw new RangeError('relayStream: retry.jitter must be in [0, 1]');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    headers[name.toLowerCase()] = value;
  }
  return {
    transport: options.transport ?? fetchTransport(),
    headers,
    maxRetries,
    baseDelay,
    maxDelay,
    jitter,
    random,
    scheduler: options.scheduler ?? asyncScheduler,
    signal: options.signal,
    maxEventBytes: options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
    after,
  };
}

/** `url` with its `after` query parameter (any existing one replaced) set to `offset`. */
export function withAfter(url: string, offset: number): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const q = base.indexOf('?');
  const path = q === -1 ? base : base.slice(0, q);
  const params = q === -1 ? [] : base.slice(q + 1).split('&');
  const kept = params.filter((p) => p !== '' && p.split('=', 1)[0] !== 'after');
  return `${path}?${[...kept, `after=${offset}`].join('&')}`;
}

/** An SSE `id` that is an offset: a non-negative integer. */
const offsetOf = (id: string | undefined): number | undefined =>
  id !== undefined && /^\d{1,15}$/.test(id) ? Number(id) : undefined;

/** One subscription of {@link relayStream}: its connections, waits and position in the run. */
class RelayReader {
  /** The offset of the last entry emitted with an id (where a reconnection resumes). */
  private lastId = -1;
  /** The offset of the last entry emitted, with an id or not. */
  private position = -1;
  /** Connections in a row that failed without delivering an entry. */
  private failures = 0;
  private connection: Subscription | undefined;
  private wait: Subscription | undefined;
  private unwatch: (() => void) | undefined;
  private readonly secrets: string[];

  constructor(
    private readonly url: string,
    private readonly settings: RelaySettings,
    private readonly subscriber: Subscriber<RelayStreamEntry>,
  ) {
    this.secrets = secretsOf(undefined, settings.headers, url);
    this.lastId = settings.after;
    this.position = settings.after;
  }

  start(): void {
    const { signal } = this.settings;
    if (signal) this.unwatch = watchSignals([signal], (error) => this.fail(error));
    if (!this.subscriber.closed) this.connect();
  }

  /** Closes the connection (or cancels the wait): nothing is sent to the run. */
  stop(): void {
    this.connection?.unsubscribe();
    this.wait?.unsubscribe();
    this.unwatch?.();
  }

  private connect(): void {
    this.wait = undefined;
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      ...this.settings.headers,
    };
    let url = this.url;
    if (this.lastId >= 0) {
      headers['last-event-id'] = String(this.lastId);
      url = withAfter(url, this.lastId);
    }
    const request = createHttpRequest('GET', url, headers, undefined, this.secrets);
    // Owned before subscribing: a transport that answers synchronously reaches it at once.
    const connection = new Subscription();
    this.connection = connection;
    connection.add(
      callTransport(this.settings.transport, request).subscribe({
        next: (response) => this.respond(response, connection),
        error: (error: unknown) => this.dropped(connectionError(error)),
      }),
    );
  }

  private respond(response: ChatHttpResponse, connection: Subscription): void {
    const { status } = response;
    if (status < 200 || status > 299) {
      const headers = redactHeaders(response.headers, this.secrets, secretHeaderTest());
      connection.add(
        readText(response.body, ERROR_BODY_CHARS, { keepOnError: true }).subscribe((text) => {
          const error = httpError(status, headers, text);
          if (status === 429 || (status >= 500 && status <= 599)) this.dropped(error);
          else this.fail(error);
        }),
      );
      return;
    }
    // The relay's "you have seen the end" (what stops an EventSource from reconnecting).
    if (status === 204) return this.subscriber.complete();
    connection.add(
      response.body.pipe(decodeSse({ maxEventBytes: this.settings.maxEventBytes })).subscribe({
        next: (event) => this.read(event),
        error: (error: unknown) => this.dropped(connectionError(error)),
        complete: () =>
          this.dropped(
            new RxChatError('truncated', 'The relay connection ended before the end of the run'),
          ),
      }),
    );
  }

  private read(event: SseEvent): void {
    // An event cut off by the end of the body is not dispatched (as EventSource does): the
    // server sends it again after the reconnection.
    if (event.type !== 'message' || event.incomplete || this.subscriber.closed) return;
    if (event.event === 'end') return this.end(event.data);
    if (event.event !== undefined && event.event !== 'message') return;
    const offset = offsetOf(event.id);
    if (offset !== undefined && offset <= this.lastId) return;
    const value = this.parse(event.data, 'An entry of the relayed run');
    if (value === undefined) return;
    if (!isRecord(value) || typeof value.type !== 'string') {
      return this.fail(
        new RxChatError('validation_error', 'An entry of the relayed run is not a stream event', {
          data: excerpt(event.data),
        }),
      );
    }
    if (offset !== undefined) this.lastId = offset;
    this.position = offset ?? this.position + 1;
    this.failures = 0;
    this.subscriber.next({ offset: this.position, event: value as unknown as ChatStreamEvent });
  }

  /** The JSON of `data`, or `undefined` after failing with `parse_error`. */
  private parse(data: string, what: string): unknown {
    try {
      return JSON.parse(data) as unknown;
    } catch (cause) {
      this.fail(
        new RxChatError('parse_error', `${what} is not valid JSON`, { cause, data: excerpt(data) }),
      );
      return undefined;
    }
  }

  private end(data: string): void {
    const value = this.parse(data, "The run's end");
    if (value === undefined) return;
    const status = isRecord(value) ? value.status : undefined;
    switch (status) {
      case 'completed':
        this.stop();
        return this.subscriber.complete();
      case 'errored':
        return this.fail(runError(isRecord(value) ? value.error : undefined));
      case 'stopped':
        return this.fail(new RxChatError('aborted', 'The run was stopped', { retryable: false }));
      case 'truncated':
        return this.fail(
          new RxChatError('truncated', 'The run was cut off: its producer stopped before the end', {
            retryable: false,
          }),
        );
      default:
        return this.fail(
          new RxChatError('stream_error', `The run ended with an unknown status`, {
            data: excerpt(data),
            retryable: false,
          }),
        );
    }
  }

  /** The connection dropped: reconnect after the backoff, or fail when no retry is left. */
  private dropped(error: RxChatError): void {
    if (this.subscriber.closed) return;
    this.connection?.unsubscribe();
    const { maxRetries, baseDelay, maxDelay, jitter, random, scheduler } = this.settings;
    if (!error.retryable || this.failures >= maxRetries) return this.fail(error);
    this.failures++;
    const hint = error.retryAfterMs;
    const delay =
      hint !== undefined && Number.isFinite(hint) && hint >= 0
        ? Math.min(hint, maxDelay)
        : Math.max(
            0,
            Math.min(maxDelay, baseDelay * 2 ** (this.failures - 1)) * (1 - jitter * random()),
          );
    this.wait = scheduler.schedule(() => this.connect(), delay);
  }

  private fail(error: RxChatError): void {
    if (this.subscriber.closed) return;
    this.stop();
    this.subscriber.error(redactError(error, this.secrets));
  }
}

const KNOWN_CODES: ReadonlySet<string> = new Set(RX_CHAT_ERROR_CODES);
const PHASES: ReadonlySet<string> = new Set(['headers', 'firstChunk', 'idle', 'total']);

/** The run's error rebuilt from its JSON (`RxChatError.toJSON()` on the server), not retryable. */
function runError(json: unknown): RxChatError {
  const e = isRecord(json) ? json : {};
  const code: RxChatErrorCode =
    typeof e.code === 'string' && KNOWN_CODES.has(e.code)
      ? (e.code as RxChatErrorCode)
      : 'stream_error';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : 'The run failed';
  const options: RxChatErrorOptions = { retryable: false };
  const provider = e.provider;
  if (isRecord(provider) && typeof provider.message === 'string') {
    const text = (v: unknown) => (typeof v === 'string' ? v : null);
    options.provider = {
      message: provider.message,
      code: typeof provider.code === 'number' ? provider.code : text(provider.code),
      type: text(provider.type),
      param: text(provider.param),
    };
  }
  if (typeof e.status === 'number') options.status = e.status;
  if (typeof e.requestId === 'string') options.requestId = e.requestId;
  if (typeof e.phase === 'string' && PHASES.has(e.phase)) options.phase = e.phase as TimeoutPhase;
  return new RxChatError(code, message, options) as RxChatError;
}
