import {
  Observable,
  Subscription,
  asyncScheduler,
  type MonoTypeOperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { RxChatError, type TimeoutPhase } from '../errors';

/**
 * Options of {@link chatTimeout}: one limit per phase, in milliseconds. A phase left `undefined`
 * or set to `Infinity` is off; all are off by default.
 */
export interface ChatTimeoutConfig {
  /** From subscription until the first event of any kind (normally the `response` event). */
  headers?: number;
  /** From subscription until the first `chunk` or `usage` event. */
  firstChunk?: number;
  /** The longest gap without any event, counted from subscription and reset by every event. */
  idle?: number;
  /** From subscription until the stream completes. */
  total?: number;
  /** The scheduler that measures time. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

const MESSAGES: Record<TimeoutPhase, (ms: number) => string> = {
  headers: (ms) => `No response headers within ${ms} ms (headers timeout)`,
  firstChunk: (ms) => `No chunk within ${ms} ms of the request (firstChunk timeout)`,
  idle: (ms) => `No data for ${ms} ms (idle timeout; keep-alive comments do not count)`,
  total: (ms) => `The stream did not finish within ${ms} ms (total timeout)`,
};

/**
 * Where the idle timeout gets the time of the last event. The default reads the scheduler at
 * every event; the client supplies one that reads it once per body piece (`PieceClock`), since
 * on a fast stream the clock read costs more than the rest of the operator.
 */
export interface EventClock {
  /** Records that an event arrived now. */
  mark(): void;
  /** When the last event arrived (as of the last `mark`, read between synchronous bursts). */
  lastMark(): number;
}

function schedulerClock(scheduler: SchedulerLike): EventClock {
  let at = scheduler.now();
  return {
    mark: () => {
      at = scheduler.now();
    },
    lastMark: () => at,
  };
}

function limitOf(config: ChatTimeoutConfig, phase: TimeoutPhase): number {
  const value: unknown = config[phase];
  if (value === undefined) return Infinity;
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new RangeError(
      `chatTimeout: ${phase} must be a number of milliseconds >= 0 (or Infinity for none), got ${String(value)}`,
    );
  }
  return value;
}

/**
 * Fails a chat stream that is too slow, phase by phase. Each limit is in milliseconds; leave it
 * out (or pass `Infinity`) to turn that phase off:
 *
 * - `headers`: from subscription until the first event of any kind, normally the `response`
 *   event that `ChatClient.stream` emits once the response headers arrived.
 * - `firstChunk`: from subscription until the first `chunk` or `usage` event (time to first token).
 * - `idle`: the longest gap without any event, counted from subscription and reset by every
 *   event. SSE comments never reach this operator, so keep-alive comments (`: ping`) that some
 *   providers send while the model thinks cannot keep a stalled stream alive.
 * - `total`: from subscription until completion.
 *
 * A `response` event with an error status ends the `firstChunk` and `idle` phases: no data will
 * follow, only the error's body, which the client reads with its own size and time bound so the
 * attempt fails as the `http_error` it is.
 *
 * When a phase runs out, the operator unsubscribes from the source (which aborts the HTTP
 * request) and fails with an `RxChatError` of code `timeout` whose `phase` names the phase.
 * Timeouts of every phase but `total` are retryable, so put `chatTimeout` before
 * {@link retryBeforeOutput} to give each attempt its own budget. Time is measured on `scheduler`;
 * only one action per phase is scheduled, never one per event.
 *
 * @throws RangeError when a limit is negative or NaN.
 *
 * @example
 * ```ts
 * client.stream(req)
 *   .pipe(chatTimeout({ headers: 10_000, idle: 30_000 }), retryBeforeOutput())
 *   .subscribe(render);
 * ```
 */
export function chatTimeout(config: ChatTimeoutConfig): MonoTypeOperatorFunction<ChatStreamEvent> {
  return chatTimeoutWith(config, schedulerClock);
}

/**
 * {@link chatTimeout} with the idle clock made per subscription by `clockFor` (internal: the
 * client's per-piece clock).
 */
export function chatTimeoutWith(
  config: ChatTimeoutConfig,
  clockFor: (scheduler: SchedulerLike) => EventClock,
): MonoTypeOperatorFunction<ChatStreamEvent> {
  const headers = limitOf(config, 'headers');
  const firstChunk = limitOf(config, 'firstChunk');
  const idle = limitOf(config, 'idle');
  const total = limitOf(config, 'total');
  const scheduler = config.scheduler ?? asyncScheduler;
  const idleOn = Number.isFinite(idle);

  return (source) =>
    new Observable<ChatStreamEvent>((subscriber) => {
      // Holds the upstream subscription and every pending action.
      const subscription = new Subscription();
      const clock = clockFor(scheduler);
      clock.mark();
      let idleStopped = false;
      let sawEvent = false;
      let sawChunk = false;
      let headersTimer: Subscription | undefined;
      let firstChunkTimer: Subscription | undefined;
      let idleTimer: Subscription | undefined;

      const fail = (phase: TimeoutPhase, limit: number) => {
        subscription.unsubscribe();
        subscriber.error(new RxChatError('timeout', MESSAGES[phase](limit), { phase }));
      };

      // Subscribe first, so that an event due at the very instant a limit runs out still counts.
      subscription.add(
        source.subscribe({
          next(event) {
            if (idleOn) clock.mark();
            if (!sawEvent) {
              sawEvent = true;
              headersTimer?.unsubscribe();
            }
            if (!sawChunk && (event.type === 'chunk' || event.type === 'usage')) {
              sawChunk = true;
              firstChunkTimer?.unsubscribe();
            }
            if (event.type === 'response' && (event.status < 200 || event.status > 299)) {
              // An error status: no data will come, only the error's explanation, which the
              // client reads with its own bound. Waiting for data must not turn a 401 into a
              // (retryable) timeout.
              sawChunk = true;
              firstChunkTimer?.unsubscribe();
              idleTimer?.unsubscribe();
              idleTimer = undefined;
              idleStopped = true;
            }
            subscriber.next(event);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      );
      if (subscriber.closed) return subscription;

      const after = (limit: number, work: (this: SchedulerAction<unknown>) => void) => {
        if (!Number.isFinite(limit)) return undefined;
        const action = scheduler.schedule(work, limit);
        subscription.add(action);
        return action;
      };

      if (!sawEvent) headersTimer = after(headers, () => fail('headers', headers));
      if (!sawChunk) firstChunkTimer = after(firstChunk, () => fail('firstChunk', firstChunk));
      // One action for the whole stream: when it fires early because events came meanwhile, it
      // reschedules itself for the rest of the gap since the last event.
      if (!idleStopped)
        idleTimer = after(idle, function (this: SchedulerAction<unknown>) {
          const quiet = scheduler.now() - clock.lastMark();
          if (quiet < idle) this.schedule(undefined, idle - quiet);
          else fail('idle', idle);
        });
      after(total, () => fail('total', total));
      return subscription;
    });
}
