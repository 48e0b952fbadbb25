import { isObservable, Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import { connectionError, RxChatError } from '../errors';
import { headerRecord, type HeadersLike } from './headers';
import type { ChatHttpResponse } from './types';

/** Where a {@link BodySource} delivers the body (its methods may be passed on unbound). */
export interface BodySink {
  /** One piece of the body; dropped once the reader has gone. */
  next(piece: Uint8Array | string): void;
  /** The body ended. Worth calling even after the reader has gone: see {@link BodySource.reusable}. */
  complete(): void;
  /** The body broke off; anything but an `RxChatError` becomes a `connection_error`. */
  error(error: unknown): void;
  /** True once the body ended or the reader has gone: stop reading. */
  readonly closed: boolean;
}

/** How a transport reads one response body, started only when someone subscribes to it. */
export interface BodySource {
  /**
   * Starts delivering the body into `sink`. May return a function that stops delivering; it is
   * called when the body ends and when the reader leaves before the end. Closing the connection
   * is not its job: the request's signal is aborted for that, and {@link BodySource.cancel} called.
   */
  open(sink: BodySink): (() => void) | void;
  /** Closes the connection of a body that is thrown away unread, or abandoned half-read. */
  cancel?(): void;
  /**
   * The connection goes back to a keep-alive pool when the body is read to its end. When the
   * reader leaves early, the stop function must then keep the body draining (without delivering)
   * and still report its end to the sink: the request is aborted only if the end has not come
   * after the current I/O callbacks (it usually follows `[DONE]` in the same packet). Default
   * false: leaving aborts at once.
   */
  reusable?: boolean;
}

/** The response a transport gives {@link TransportExchange.respond}. */
export interface TransportAnswer {
  /** The HTTP status code; a non-2xx status becomes the client's `http_error`. */
  readonly status: number;
  /** In any shape: lower-cased into a plain object for the {@link ChatHttpResponse}. */
  readonly headers?: HeadersLike;
  /**
   * How to read the body; or an Observable of it, passed through as it is (it must close its own
   * connection when unsubscribed), but still single-use and released when nobody claims it.
   */
  readonly body: BodySource | Observable<Uint8Array | string>;
}

/** What a transport's start function is given: one request's signal, and its outcome. */
export interface TransportExchange {
  /**
   * Aborted when the request must stop: unsubscribed before the response, its body released
   * unclaimed or abandoned before its end. Pass it to the HTTP client.
   */
  readonly signal: AbortSignal;
  /** Delivers the response. Only the first answer counts; a later one's body is cancelled. */
  readonly respond: (answer: TransportAnswer) => void;
  /** Fails the request before its response; anything but an `RxChatError` becomes a `connection_error`. */
  readonly fail: (error: unknown) => void;
}

/**
 * Starts one request. It may return a promise of the answer (its rejection fails the request),
 * or call `respond` / `fail` itself and return a function that cancels the request: that is
 * called once when the exchange is over (aborted, failed, or its body ended or released).
 */
export type TransportStart = (
  exchange: TransportExchange,
) => PromiseLike<TransportAnswer> | (() => void) | void;

const READ_TWICE = 'The response body was already read: a body can be subscribed to only once';
const RELEASED =
  'The response body was released because nobody subscribed to it when the response arrived';

/**
 * The engine of `createTransportResponse`, for one subscription: sends once (the start
 * function), answers once, hands out a body that can be read once, releases a body nobody
 * claimed while the response was delivered, aborts on teardown, and makes every failure an
 * `RxChatError`.
 */
export class Exchange implements TransportExchange {
  private readonly controller = new AbortController();
  readonly signal = this.controller.signal;
  /** Not answered yet, answered with its body on offer, claimed by a reader, or released. */
  private body: 'none' | 'offered' | 'claimed' | 'released' = 'none';
  private source: TransportAnswer['body'] | undefined;
  private over = false;
  private finalizer: (() => void) | undefined;

  constructor(private readonly subscriber: Subscriber<ChatHttpResponse>) {}

  /** Runs `start`; returns the teardown of the response Observable. */
  run(start: TransportStart): TeardownLogic {
    let started: ReturnType<TransportStart> = undefined;
    try {
      started = start(this);
    } catch (error) {
      this.fail(error);
    }
    if (typeof started === 'function') {
      // The exchange may already be over: a synchronous client can answer inside start.
      if (this.over) started();
      else this.finalizer = started;
    } else if (started) {
      started.then(this.respond, this.fail);
    }
    // Before the response, unsubscribing aborts; after it, the body owns the request.
    return () => {
      if (this.body === 'none') this.end(true);
    };
  }

  readonly respond = (answer: TransportAnswer): void => {
    if (this.body !== 'none' || this.over) {
      cancel(answer?.body);
      return;
    }
    let response: ChatHttpResponse;
    try {
      this.source = answer.body;
      response = { status: answer.status, headers: headerRecord(answer.headers), body: this.read };
    } catch (error) {
      this.fail(error);
      return;
    }
    this.body = 'offered';
    this.subscriber.next(response);
    this.subscriber.complete();
    if (this.body === 'offered') {
      this.body = 'released';
      this.end(true);
    }
  };

  readonly fail = (error: unknown): void => {
    if (this.body !== 'none' || this.over) return;
    this.end(false);
    this.subscriber.error(connectionError(error));
  };

  /** The single-use body. */
  private readonly read = new Observable<Uint8Array | string>((reader) => {
    if (this.body !== 'offered') {
      const message = this.body === 'released' ? RELEASED : READ_TWICE;
      reader.error(new RxChatError('connection_error', message, { retryable: false }));
      return;
    }
    this.body = 'claimed';
    const source = this.source!;
    if (isObservable(source)) {
      const subscription = source.subscribe(reader);
      return () => {
        subscription.unsubscribe();
        this.end(true);
      };
    }
    const sink = new Sink(reader);
    let stop: (() => void) | void;
    try {
      stop = source.open(sink);
    } catch (error) {
      sink.error(error);
    }
    return () => {
      stop?.();
      if (sink.ended) this.end(false);
      else if (source.reusable) afterIo(() => this.end(!sink.ended));
      else this.end(true);
    };
  });

  /** The exchange is over: aborts the request unless it ended well, then finalizes, once. */
  private end(abort: boolean): void {
    if (this.over) return;
    this.over = true;
    if (abort) {
      this.controller.abort();
      cancel(this.source);
    }
    const finalizer = this.finalizer;
    this.finalizer = undefined;
    finalizer?.();
  }
}

/**
 * A {@link BodySink} over the body's subscriber that remembers whether the body ended. Its
 * methods are bound, so a transport can pass them on as callbacks.
 */
class Sink implements BodySink {
  ended = false;

  constructor(private readonly reader: Subscriber<Uint8Array | string>) {}

  get closed(): boolean {
    return this.ended || this.reader.closed;
  }

  readonly next = (piece: Uint8Array | string): void => {
    this.reader.next(piece);
  };

  readonly complete = (): void => {
    if (this.ended) return;
    this.ended = true;
    this.reader.complete();
  };

  readonly error = (error: unknown): void => {
    if (this.ended) return;
    this.ended = true;
    this.reader.error(connectionError(error, 'The response body broke off'));
  };
}

function cancel(body: TransportAnswer['body'] | undefined): void {
  if (body && !isObservable(body)) body.cancel?.();
}

/** Runs `fn` after the current I/O callbacks, so an end already on the wire gets seen first. */
const afterIo: (fn: () => void) => void =
  typeof setImmediate === 'function'
    ? (fn) => {
        setImmediate(fn);
      }
    : (fn) => {
        setTimeout(fn, 0);
      };
