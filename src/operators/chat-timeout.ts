import {
  Subscription,
  asyncScheduler,
  type MonoTypeOperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import type { ChatStreamEvent } from '../chunks/types';
import { RxChatError, type TimeoutPhase } from '../errors';
import { engineOperator, type OperatorEngine, type Sink } from './engine-internals';
import { isKeepalive, isResponsesOutput } from '../responses/lifecycle';
import { isErrorResponse } from './response-internals';

/**
 * Options of {@link chatTimeout}: one limit per phase, in milliseconds. A phase left `undefined`
 * or set to `Infinity` is off; all are off by default.
 */
export interface ChatTimeoutConfig {
  /** From subscription until the first event of any kind (normally the `response` event). */
  headers?: number;
  /**
   * From subscription until the first `chunk` or `usage` event, or the first Responses event
   * that is part of the answer (not `response.created`, `.queued`, `.in_progress`, `keepalive`).
   */
  firstChunk?: number;
  /**
   * The longest gap without any event, counted from subscription and reset by every event
   * (SSE comments and Responses `keepalive` events are not events of the model: they do not count).
   */
  idle?: number;
  /** From subscription until the stream completes. */
  total?: number;
  /**
   * Whether no data will follow `event`, which then ends the `firstChunk` and `idle` phases
   * (`headers` and `total` go on). Default: a `response` event with an error status (outside
   * 200-299), after which only the error's body comes, which the client reads with its own bound:
   * waiting for data must not turn a 401 into a (retryable) timeout. An exception it throws
   * fails the stream.
   */
  endsData?: (event: ChatStreamEvent) => boolean;
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

export function schedulerClock(scheduler: SchedulerLike): EventClock {
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
 * An event after which no data will come (`endsData`; by default a `response` event with an
 * error status, followed only by the error's body, which the client reads with its own size and
 * time bound so the attempt fails as the `http_error` it is) ends the `firstChunk` and `idle`
 * phases.
 *
 * When a phase runs out, the operator unsubscribes from the source (which aborts the HTTP
 * request) and fails with an `RxChatError` of code `timeout` whose `phase` names the phase.
 * Timeouts of every phase but `total` are retryable, so put `chatTimeout` before
 * {@link retryBeforeOutput} to give each attempt its own budget. Time is measured on `scheduler`;
 * only one action per phase is scheduled, never one per event.
 *
 * @throws RangeError when a limit is negative or NaN.
 * @throws TypeError when `endsData` is given but is not a function.
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

/** The settings of one {@link chatTimeout}: its limits (`Infinity` when off) and its hook. */
export interface TimeoutSettings {
  limits: Record<TimeoutPhase, number>;
  endsData: (event: ChatStreamEvent) => boolean;
  scheduler: SchedulerLike;
}

/**
 * The engine of {@link chatTimeout} for one subscription: watches the events that pass through
 * to `subscriber`, ends phases as they are met, and fails the stream when a phase runs out.
 */
export class TimeoutWatch implements OperatorEngine<ChatStreamEvent> {
  /** Holds the upstream subscription and every pending action. */
  readonly subscription = new Subscription();
  private readonly idleOn: boolean;
  private sawEvent = false;
  /** Whether a `chunk` or `usage` event came, or no data will. */
  private sawChunk = false;
  private idleStopped = false;
  private headersTimer: Subscription | undefined;
  private firstChunkTimer: Subscription | undefined;
  private idleTimer: Subscription | undefined;

  constructor(
    private readonly subscriber: Sink<ChatStreamEvent>,
    private readonly settings: TimeoutSettings,
    private readonly clock: EventClock,
  ) {
    this.idleOn = Number.isFinite(settings.limits.idle);
    clock.mark();
  }

  /** Whether nothing more may be passed on (as a link of the client's fused chain). */
  get closed(): boolean {
    return this.subscriber.closed;
  }

  /** An event from the source, passed on. */
  next(event: ChatStreamEvent): void {
    // A Responses `keepalive` event is no more a sign of the model's life than an SSE comment.
    if (this.idleOn && !(event.type === 'responses' && isKeepalive(event.event.type))) {
      this.clock.mark();
    }
    if (!this.sawEvent) {
      this.sawEvent = true;
      this.headersTimer?.unsubscribe();
    }
    if (
      !this.sawChunk &&
      (event.type === 'chunk' ||
        event.type === 'usage' ||
        (event.type === 'responses' && isResponsesOutput(event.event.type)))
    ) {
      this.sawChunk = true;
      this.firstChunkTimer?.unsubscribe();
    }
    if (!this.idleStopped) {
      const { endsData } = this.settings;
      let ends: boolean;
      try {
        ends = endsData(event);
      } catch (thrown) {
        this.subscription.unsubscribe();
        this.subscriber.error(thrown);
        return;
      }
      if (ends) {
        // No data will come: waiting for it must not turn the end into a timeout.
        this.sawChunk = true;
        this.firstChunkTimer?.unsubscribe();
        this.idleTimer?.unsubscribe();
        this.idleTimer = undefined;
        this.idleStopped = true;
      }
    }
    this.subscriber.next(event);
  }

  // The timers stop before the end is passed on: in the client's fused chain no operator
  // teardown follows the end of an attempt, and a retry must not meet this attempt's timers.
  error(error: unknown): void {
    this.subscription.unsubscribe();
    this.subscriber.error(error);
  }

  complete(): void {
    this.subscription.unsubscribe();
    this.subscriber.complete();
  }

  /**
   * Starts the phases that events during the subscription (made first, so that an event due at
   * the very instant a limit runs out still counts) did not already end.
   */
  start(): void {
    if (this.subscriber.closed) return;
    const idle = this.settings.limits.idle;
    if (!this.sawEvent) this.headersTimer = this.after('headers');
    if (!this.sawChunk) this.firstChunkTimer = this.after('firstChunk');
    // One action for the whole stream: when it fires early because events came meanwhile, it
    // reschedules itself for the rest of the gap since the last event.
    if (!this.idleStopped && Number.isFinite(idle)) {
      this.idleTimer = this.settings.scheduler.schedule(TimeoutWatch.checkIdle, idle, this);
      this.subscription.add(this.idleTimer);
    }
    this.after('total');
  }

  private fail(phase: TimeoutPhase): void {
    this.subscription.unsubscribe();
    const limit = this.settings.limits[phase];
    this.subscriber.error(new RxChatError('timeout', MESSAGES[phase](limit), { phase }));
  }

  /** Fails with `phase` when its limit runs out, unless the action is cancelled first. */
  private after(phase: TimeoutPhase): Subscription | undefined {
    const limit = this.settings.limits[phase];
    if (!Number.isFinite(limit)) return undefined;
    const action = this.settings.scheduler.schedule(() => this.fail(phase), limit);
    this.subscription.add(action);
    return action;
  }

  private static checkIdle(this: SchedulerAction<TimeoutWatch>, watch?: TimeoutWatch): void {
    const idle = watch!.settings.limits.idle;
    const quiet = watch!.settings.scheduler.now() - watch!.clock.lastMark();
    if (quiet < idle) this.schedule(watch, idle - quiet);
    else watch!.fail('idle');
  }
}

/**
 * {@link chatTimeout} with the idle clock made per subscription by `clockFor` (internal: the
 * client's per-piece clock).
 */
export function chatTimeoutWith(
  config: ChatTimeoutConfig,
  clockFor: (scheduler: SchedulerLike) => EventClock,
): MonoTypeOperatorFunction<ChatStreamEvent> {
  const settings = timeoutSettings(config);
  return engineOperator(
    (subscriber) => new TimeoutWatch(subscriber, settings, clockFor(settings.scheduler)),
  );
}

/**
 * A {@link ChatTimeoutConfig} checked and with its defaults filled in.
 *
 * @throws RangeError when a limit is negative or NaN, TypeError when `endsData` is no function.
 */
export function timeoutSettings(config: ChatTimeoutConfig): TimeoutSettings {
  const limits: Record<TimeoutPhase, number> = {
    headers: limitOf(config, 'headers'),
    firstChunk: limitOf(config, 'firstChunk'),
    idle: limitOf(config, 'idle'),
    total: limitOf(config, 'total'),
  };
  const { endsData = isErrorResponse } = config;
  const scheduler = config.scheduler ?? asyncScheduler;
  if (typeof endsData !== 'function') {
    throw new TypeError(`chatTimeout: endsData must be a function, got ${typeof endsData}`);
  }
  return { limits, endsData, scheduler };
}
