import {
  Observable,
  Subscription,
  asyncScheduler,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { amendError, RxChatError } from '../errors';
import type { Sink } from './engine-internals';
import { isNotResponseEvent } from './response-internals';

/** Options of {@link retryBeforeOutput}. All times are in milliseconds. */
export interface RetryConfig<T = unknown> {
  /** How many times to resubscribe after the first attempt fails. Default 2 (3 attempts in all). */
  maxRetries?: number;
  /** The wait before the first retry; it doubles for each further retry. Default 500. */
  baseDelay?: number;
  /** The longest exponential backoff wait. Default 8000. */
  maxDelay?: number;
  /**
   * The longest wait granted to a server's `retry-after` hint (the error's `retryAfterMs`);
   * a longer hint is cut down to this. Default 60000.
   */
  maxRetryAfter?: number;
  /**
   * The fraction of a backoff wait that is randomly taken off, so that many clients do not retry
   * in step: the wait is `backoff * (1 - jitter * random())`. 0 turns jitter off. Default 0.25.
   * A `retry-after` wait is never jittered.
   */
  jitter?: number;
  /** The source of randomness for jitter, returning a number in [0, 1). Default `Math.random`. */
  random?: () => number;
  /**
   * Whether to retry after `error`; `attempt` is the number of the attempt that just failed (1
   * for the first). Called only while no output was emitted and retries remain. Default
   * {@link isRetryableError}.
   */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /**
   * Whether a value is output, after which nothing is retried. Default: every value except
   * objects with `type === 'response'` (the per-attempt HTTP response metadata of
   * `ChatClient.stream`).
   */
  isOutput?: (value: T) => boolean;
  /** The scheduler that times the waits. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

/**
 * Whether an error is worth retrying by default: an {@link RxChatError} whose
 * {@link RxChatError.retryable} is true. Anything else (a bug, a foreign error) is not.
 */
export function isRetryableError(error: unknown): boolean {
  return RxChatError.isInstance(error) && error.retryable;
}

/** The settings of one {@link retryBeforeOutput}, defaults filled in. */
export type RetrySettings<T> = Required<RetryConfig<T>>;

/**
 * The engine of {@link retryBeforeOutput} for one subscription: runs the attempts, one
 * subscription to `source` each, and passes their values to `subscriber` until one completes, or
 * fails when no retry is due.
 */
export class RetryLoop<T> {
  private attempts = 0;
  private emittedOutput = false;
  private upstream: Subscription | undefined;
  private wait: Subscription | undefined;

  constructor(
    /** Starts one attempt, sending its values to `sink`; unsubscribing stops it. */
    private readonly subscribeAttempt: (sink: Sink<T>) => Subscription,
    private readonly subscriber: Sink<T>,
    private readonly settings: RetrySettings<T>,
  ) {}

  /** Subscribes to the source once more. */
  readonly attempt = (): void => {
    this.wait = undefined;
    this.attempts++;
    // Each attempt owns its subscription, made before subscribing: a source that fails
    // synchronously, retried by a synchronous scheduler, starts the next attempt before this
    // subscribe call returns, and that attempt must stay the one teardown reaches.
    const current = new Subscription();
    this.upstream = current;
    current.add(
      this.subscribeAttempt({
        next: (value) => this.next(value, current),
        error: (error: unknown) => this.error(error),
        complete: () => this.subscriber.complete(),
        get closed() {
          return current.closed;
        },
      }),
    );
  };

  /** Stops the attempt under way, or the wait for the next one. */
  stop(): void {
    this.upstream?.unsubscribe();
    this.wait?.unsubscribe();
  }

  private next(value: T, current: Subscription): void {
    if (!this.emittedOutput) {
      const { isOutput } = this.settings;
      try {
        this.emittedOutput = isOutput(value);
      } catch (thrown) {
        current.unsubscribe();
        this.subscriber.error(thrown);
        return;
      }
    }
    this.subscriber.next(value);
  }

  private error(error: unknown): void {
    const { maxRetries, shouldRetry, scheduler } = this.settings;
    let retry: boolean;
    let delay = 0;
    try {
      retry =
        !this.emittedOutput && this.attempts <= maxRetries && shouldRetry(error, this.attempts);
      if (retry) delay = this.delayBefore(error, this.attempts);
    } catch (thrown) {
      this.subscriber.error(thrown);
      return;
    }
    if (!retry) return this.fail(error);
    this.wait = scheduler.schedule(this.attempt, delay);
  }

  private fail(error: unknown): void {
    const attempts = this.attempts;
    if (RxChatError.isInstance(error)) amendError(error, { attempts });
    this.subscriber.error(error);
  }

  /** The wait before retry number `retry`: the server's hint, or backoff with jitter. */
  private delayBefore(error: unknown, retry: number): number {
    const { maxRetryAfter, maxDelay, baseDelay, jitter, random } = this.settings;
    if (RxChatError.isInstance(error)) {
      const hint = error.retryAfterMs;
      if (hint !== undefined && Number.isFinite(hint) && hint >= 0) {
        return Math.min(hint, maxRetryAfter);
      }
    }
    const backoff = Math.min(maxDelay, baseDelay * 2 ** (retry - 1));
    return Math.max(0, backoff * (1 - jitter * random()));
  }
}

/**
 * Retries a failed cold stream, but only before any output: it resubscribes to the source
 * (sending the request again) after an error only while nothing but values that are not output
 * (`isOutput`; by default, `response` metadata) has been emitted downstream, across all attempts. Once a chunk or any other output went out, errors
 * pass through untouched, so retrying never duplicates content the user has already seen.
 *
 * Retryable by default ({@link isRetryableError}): `http_error` with status 408, 409, 429 or 5xx;
 * `connection_error`; cut connections (`truncated`); `timeout` of every phase but `total`; and
 * `stream_error` whose provider error means rate limit or overload. Everything else fails at once.
 *
 * Waits back off exponentially: `min(maxDelay, baseDelay * 2^(n-1))` before retry `n`, less a
 * random `jitter` fraction. When the server sent `retry-after` (or `retry-after-ms`), that wait is
 * honoured exactly instead, capped at `maxRetryAfter`.
 *
 * The error that finally comes through (retries exhausted, not retryable, or after output) gets
 * `attempts` set, and when more than one attempt was made its message ends with
 * ` (after N attempts)`. Errors that are not rxchat errors pass unchanged. Unsubscribing during a
 * wait cancels it.
 *
 * @example
 * ```ts
 * client.stream(req).pipe(retryBeforeOutput({ maxRetries: 3 })).subscribe(render);
 *
 * // A fresh timeout budget for each attempt: put chatTimeout before the retry.
 * client.stream(req).pipe(chatTimeout({ headers: 10_000 }), retryBeforeOutput());
 * ```
 */
export function retryBeforeOutput<T>(config: RetryConfig<T> = {}): MonoTypeOperatorFunction<T> {
  const settings = retrySettings(config);
  return (source) =>
    new Observable<T>((subscriber) => {
      const loop = new RetryLoop((sink) => source.subscribe(sink), subscriber, settings);
      loop.attempt();
      return () => loop.stop();
    });
}

/** A {@link RetryConfig} with its defaults filled in. */
export function retrySettings<T>(config: RetryConfig<T>): RetrySettings<T> {
  const {
    maxRetries = 2,
    baseDelay = 500,
    maxDelay = 8000,
    maxRetryAfter = 60000,
    jitter = 0.25,
    random = Math.random,
    shouldRetry = isRetryableError,
    isOutput = isNotResponseEvent,
    scheduler = asyncScheduler,
  } = config;
  return {
    maxRetries,
    baseDelay,
    maxDelay,
    maxRetryAfter,
    jitter,
    random,
    shouldRetry,
    isOutput,
    scheduler,
  };
}
