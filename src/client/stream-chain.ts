import { Observable, Subscription, type Subscriber } from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { afterOutput } from '../errors';
import { schedulerClock, TimeoutWatch, type TimeoutSettings } from '../operators/chat-timeout';
import type { Sink } from '../operators/engine-internals';
import { isNotResponseEvent } from '../operators/response-internals';
import { RetryLoop, type RetrySettings } from '../operators/retry-before-output';
import type { ResponseOptions } from '../response/read-response';
import type { ChatHttpRequest, ChatTransport } from '../transport/types';
import { watchSignals } from './abort';
import { attemptEvents, type ResponseReader } from './attempt';
import { PieceClock } from './piece-clock';
import { redactError } from './secrets';

/** Everything one call of `ChatClient.stream` decided before anything is sent. */
export interface StreamChainSettings {
  transport: ChatTransport;
  /** Builds the request at subscribe time (and throws `validation_error` for a bad one). */
  request: () => ChatHttpRequest;
  /** How a response becomes events (default: chat completions). */
  read?: ResponseReader;
  response: ResponseOptions;
  /** Redacts a response's headers before anything shows them. */
  showHeaders: (headers: Readonly<Record<string, string>>) => Readonly<Record<string, string>>;
  /** The `headers`, `firstChunk` and `idle` limits of each attempt, when any is on. */
  attemptTimeout: TimeoutSettings | undefined;
  /** The `total` limit over all attempts and their waits, when on. */
  totalTimeout: TimeoutSettings | undefined;
  retry: RetrySettings<ChatStreamEvent> | undefined;
  signals: readonly AbortSignal[];
  secrets: readonly string[];
}

/**
 * The client's whole pipeline for one stream, as one Observable: attempts (transport and
 * response reading), each attempt's timeouts, retry before output, the total timeout, abort
 * signals, and the settling of errors (secrets out; not retryable after output).
 *
 * It is what `attempt.pipe(chatTimeout(…), retryBeforeOutput(…), chatTimeout({ total }),
 * abortWith(…), settleErrors(…))` would be, built from the same engines (`TimeoutWatch`,
 * `RetryLoop`), but chained directly: an event crosses one subscriber and a few plain calls
 * instead of a subscriber layer per operator. Every chunk of every stream passes here.
 */
export function streamChain(settings: StreamChainSettings): Observable<ChatStreamEvent> {
  return new Observable<ChatStreamEvent>((subscriber) =>
    new StreamChain(subscriber, settings).start(),
  );
}

/** The engine of {@link streamChain}; itself the last link, which settles errors. */
class StreamChain implements Sink<ChatStreamEvent> {
  private readonly subscription = new Subscription();
  private output = false;

  constructor(
    private readonly subscriber: Subscriber<ChatStreamEvent>,
    private readonly settings: StreamChainSettings,
  ) {}

  get closed(): boolean {
    return this.subscriber.closed;
  }

  next(event: ChatStreamEvent): void {
    if (!this.output && isNotResponseEvent(event)) this.output = true;
    this.subscriber.next(event);
  }

  /** Errors leave without secrets, and after output they say they are not safely retryable. */
  error(error: unknown): void {
    redactError(error, this.settings.secrets);
    this.subscriber.error(this.output ? afterOutput(error) : error);
  }

  complete(): void {
    this.subscriber.complete();
  }

  /** Starts the stream; returns its teardown. */
  start(): Subscription {
    const { settings, subscription } = this;
    if (settings.signals.length > 0) {
      subscription.add(
        watchSignals(settings.signals, (error) => {
          subscription.unsubscribe();
          this.error(error);
        }),
      );
      if (this.closed) return subscription;
    }
    let request: ChatHttpRequest;
    try {
      request = settings.request();
    } catch (error) {
      this.error(error);
      return subscription;
    }
    // The idle timeout reads the clock once per body piece, not once per chunk.
    const clock = settings.attemptTimeout && new PieceClock(settings.response.scheduler);
    const runAttempt = (sink: Sink<ChatStreamEvent>): Subscription => {
      const events = attemptEvents(
        settings.transport,
        request,
        settings.response,
        clock,
        settings.showHeaders,
        settings.read,
      );
      if (!settings.attemptTimeout) return events.subscribe(sink);
      const watch = new TimeoutWatch(sink, settings.attemptTimeout, clock!.clock());
      watch.subscription.add(events.subscribe(watch));
      watch.start();
      return watch.subscription;
    };

    const totalTimeout = settings.totalTimeout;
    const total =
      totalTimeout && new TimeoutWatch(this, totalTimeout, schedulerClock(totalTimeout.scheduler));
    if (total) subscription.add(total.subscription);
    const head: Sink<ChatStreamEvent> = total ?? this;
    // What the total timeout stops when it runs out, and teardown too.
    const owner = total?.subscription ?? subscription;
    if (settings.retry) {
      const loop = new RetryLoop(runAttempt, head, settings.retry);
      owner.add(() => loop.stop());
      loop.attempt();
    } else {
      owner.add(runAttempt(head));
    }
    total?.start();
    return subscription;
  }
}
