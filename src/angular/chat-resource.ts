import { isPlatformServer } from '@angular/common';
import {
  assertInInjectionContext,
  computed,
  DestroyRef,
  effect,
  inject,
  Injector,
  PendingTasks,
  PLATFORM_ID,
  runInInjectionContext,
  signal,
  untracked,
  type Signal,
} from '@angular/core';
import {
  animationFrameScheduler,
  asyncScheduler,
  type SchedulerAction,
  type SchedulerLike,
  Subscription,
} from 'rxjs';
import {
  chatState,
  RxChatError,
  type ChatClient,
  type ChatCompletion,
  type ChatRequest,
  type ChatRequestOptions,
  type ChatState,
  type Usage,
} from 'rxchat';
import { injectChatClient } from './providers';

/**
 * Where a {@link ChatResource} stands. Angular's `ResourceStatus` words where they fit, plus two
 * that streaming needs:
 *
 * - `'idle'`: no request (the `request` function gave `undefined`), or on the server without
 *   `server: true`. Nothing was sent.
 * - `'loading'`: a request was sent (a new one: the previous answer was cleared); nothing arrived yet.
 * - `'reloading'`: sent again by {@link ChatResource.reload}; the previous answer stays until the
 *   new one's first text arrives.
 * - `'streaming'`: the answer is arriving (`text` grows).
 * - `'resolved'`: the answer is complete; `usage` and `completion` are final.
 * - `'stopped'`: {@link ChatResource.stop} cancelled it; what had arrived stays.
 * - `'error'`: the request failed; `error` says why (by `code`), what had arrived stays.
 */
export type ChatResourceStatus =
  'idle' | 'loading' | 'reloading' | 'streaming' | 'resolved' | 'stopped' | 'error';

/** How often a {@link ChatResource} updates its signals while an answer streams. */
export interface ChatResourceThrottle {
  /**
   * At most one update per this many animation frames (a positive integer). Default 1 when
   * `interval` is not given.
   */
  frames?: number;
  /** At most one update per this many milliseconds, instead of `frames`. */
  interval?: number;
  /**
   * The scheduler that times the windows. Default: `animationFrameScheduler` for `frames` where
   * `requestAnimationFrame` exists (else `asyncScheduler`, a frame counted as 16 ms), and
   * `asyncScheduler` for `interval`. A `TestScheduler` in tests.
   */
  scheduler?: SchedulerLike;
}

/** Options of {@link chatResource}. */
export interface ChatResourceOptions {
  /**
   * The request to send, read in a reactive context: a signal or a function of signals. When
   * what it returns changes (a new object), the running request is cancelled (unsubscribed, so
   * its connection closes) and the new one sent. `undefined` means no request: the resource is
   * `'idle'`.
   */
  request: () => ChatRequest | undefined;
  /**
   * How often the signals update while streaming: `{ frames: n }` (default `{ frames: 1 }`: at
   * most once per animation frame), `{ interval: ms }`, or `false` for every chunk. The first
   * text shows at once, and the last snapshot (and everything before a stop or an error) is
   * always delivered without waiting.
   */
  throttle?: ChatResourceThrottle | false;
  /**
   * The client to send with. Default: `injectChatClient()` of the injection context (the client
   * of `provideRxChat`, bound to the caller).
   */
  client?: ChatClient;
  /** The injector to create the resource in, when called outside an injection context. */
  injector?: Injector;
  /**
   * Whether to send requests during server-side rendering. Default false: on the server the
   * resource stays `'idle'` and the browser sends the request once the app is hydrated. With
   * true, the server sends it and waits for the answer (a pending task) before rendering.
   */
  server?: boolean;
  /** Per-request options (`signal`, `timeout`, `retry`, …) passed to `client.stream`. */
  requestOptions?: ChatRequestOptions;
}

/**
 * A streamed chat answer as signals: what {@link chatResource} returns. Every signal updates at
 * most once per window of {@link ChatResourceOptions.throttle}.
 */
export interface ChatResource {
  /** The answer text so far (`''` before any arrives); never ends in half a surrogate pair. */
  readonly text: Signal<string>;
  /** The model's reasoning so far (`''` when it shows none). */
  readonly reasoning: Signal<string>;
  /**
   * The whole completion so far (every choice, tool calls, finish reason), final once
   * `'resolved'`; `undefined` before anything arrived.
   */
  readonly completion: Signal<ChatCompletion | undefined>;
  /** The usage the server reported, usually only once `'resolved'`; else `null`. */
  readonly usage: Signal<Usage | null>;
  /**
   * The request whose answer the signals show (the latest one sent); `undefined` when idle. The
   * `request` option's new value shows here once it was sent (Angular runs the effect that
   * sends it with change detection, or `TestBed.tick()` in a test).
   */
  readonly request: Signal<ChatRequest | undefined>;
  /** The last {@link ChatState} snapshot shown, `undefined` before anything arrived. */
  readonly value: Signal<ChatState | undefined>;
  /** Where the request stands: see {@link ChatResourceStatus}. */
  readonly status: Signal<ChatResourceStatus>;
  /** Why the request failed (match on `code`), when `status` is `'error'`; else `undefined`. */
  readonly error: Signal<RxChatError | undefined>;
  /** True while a request runs: `'loading'`, `'reloading'` or `'streaming'`. */
  readonly isLoading: Signal<boolean>;
  /** True when some of an answer is shown (`value()` is defined). */
  hasValue(): boolean;
  /**
   * Cancels the running request (its connection closes) and keeps what arrived; the status
   * becomes `'stopped'`. Returns false when nothing was running.
   */
  stop(): boolean;
  /**
   * Sends the current request again (status `'reloading'`). Returns false when there is no
   * request (idle, or on the server).
   */
  reload(): boolean;
  /** Cancels the running request and stops reacting to the request; also done on destroy. */
  destroy(): void;
}

/**
 * A chat answer as a resource, in the sense of Angular's `resource`/`rxResource`: signals of the
 * growing text, reasoning, completion, usage, status and error of the request that
 * `options.request` gives, built on the client's cold Observable and {@link chatState}.
 *
 * - A change of the request cancels the running one and sends the new one; `undefined` is idle.
 * - Updates come at most once per animation frame by default (`throttle`), the last one never
 *   delayed; signals need no zone, so zoneless apps and zone.js apps behave alike.
 * - `stop()` keeps what arrived (`'stopped'`); destroying the injection context (the component)
 *   aborts the request.
 * - On the server nothing is sent unless `server: true`.
 *
 * Call it in an injection context (a field initializer), or pass `injector`.
 *
 * @example
 * ```ts
 * readonly question = signal('');
 * readonly answer = chatResource({
 *   request: () =>
 *     this.question() ? { model: 'gpt-4o-mini', messages: [{ role: 'user', content: this.question() }] } : undefined,
 * });
 * // template: {{ answer.text() }} · {{ answer.status() }}
 * ```
 */
export function chatResource(options: ChatResourceOptions): ChatResource {
  if (!options.injector) assertInInjectionContext(chatResource);
  const injector = options.injector ?? inject(Injector);
  return runInInjectionContext(injector, () => new ChatResourceRef(options));
}

/** The state of one request, reset when a new one starts. */
interface Shown {
  request: ChatRequest | undefined;
  value: ChatState | undefined;
  status: ChatResourceStatus;
  error: RxChatError | undefined;
}

const IDLE: Shown = { request: undefined, value: undefined, status: 'idle', error: undefined };

class ChatResourceRef implements ChatResource {
  private readonly state = signal<Shown>(IDLE);
  readonly request = computed(() => this.state().request);
  readonly value = computed(() => this.state().value);
  readonly text = computed(() => this.value()?.text ?? '');
  readonly reasoning = computed(() => this.value()?.reasoning ?? '');
  readonly completion = computed(() => this.value()?.completion);
  readonly usage = computed(() => this.value()?.usage ?? null);
  readonly status = computed(() => this.state().status);
  readonly error = computed(() => this.state().error);
  readonly isLoading = computed(() => {
    const status = this.status();
    return status === 'loading' || status === 'reloading' || status === 'streaming';
  });

  private readonly client: ChatClient;
  private readonly throttle: { scheduler: SchedulerLike; delay: number; steps: number } | null;
  private readonly pendingTasks: PendingTasks | null;
  private readonly enabled: boolean;
  private readonly requestOptions: ChatRequestOptions | undefined;
  private running: Subscription | undefined;
  /** The snapshot waiting for the end of the window, and the window's timer. */
  private held: ChatState | undefined;
  private window: Subscription | undefined;
  private stepsLeft = 0;
  private endTask: (() => void) | undefined;
  private destroyed = false;

  constructor(options: ChatResourceOptions) {
    const server = isPlatformServer(inject(PLATFORM_ID));
    this.enabled = !server || options.server === true;
    this.client = options.client ?? injectChatClient();
    this.throttle = throttleSettings(options.throttle);
    this.pendingTasks = server ? inject(PendingTasks) : null;
    this.requestOptions = options.requestOptions;
    const destroyRef = inject(DestroyRef);
    destroyRef.onDestroy(() => this.destroy());
    if (!this.enabled) return;
    const watcher = effect(() => {
      const request = options.request();
      untracked(() => this.start(request, 'loading'));
    });
    this.stopWatching = () => watcher.destroy();
  }

  private stopWatching: () => void = () => {};

  hasValue(): boolean {
    return this.value() !== undefined;
  }

  stop(): boolean {
    if (!this.running) return false;
    this.flush();
    this.cancel();
    this.state.update((state) => ({ ...state, status: 'stopped' }));
    return true;
  }

  reload(): boolean {
    const request = untracked(this.request);
    if (!this.enabled || this.destroyed || request === undefined) return false;
    this.start(request, 'reloading');
    return true;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.stopWatching();
    this.cancel();
    if (this.isLoading()) this.state.update((state) => ({ ...state, status: 'stopped' }));
  }

  private start(request: ChatRequest | undefined, status: 'loading' | 'reloading'): void {
    this.cancel();
    if (request === undefined) {
      this.state.set(IDLE);
      return;
    }
    this.state.update((state) =>
      status === 'loading'
        ? { request, value: undefined, status, error: undefined }
        : { ...state, request, status, error: undefined },
    );
    this.endTask = this.pendingTasks?.add();
    // Set before subscribing: a request that fails at once (an invalid one) finishes inside
    // subscribe(), and must not leave a running request behind.
    const running = new Subscription();
    this.running = running;
    running.add(
      this.client
        .stream(request, this.requestOptions)
        .pipe(chatState())
        .subscribe({
          next: (snapshot) => this.arrived(snapshot),
          error: (error: unknown) => {
            this.flush();
            this.finish({ status: 'error', error: asRxChatError(error) });
          },
          complete: () => {
            this.flush();
            this.finish({ status: 'resolved', error: undefined });
          },
        }),
    );
  }

  private finish(outcome: Pick<Shown, 'status' | 'error'>): void {
    this.cancel();
    this.state.update((state) => ({ ...state, ...outcome }));
  }

  /** Unsubscribes from the running request (aborting it) and cancels the open window. */
  private cancel(): void {
    const running = this.running;
    this.running = undefined;
    running?.unsubscribe();
    this.window?.unsubscribe();
    this.window = undefined;
    this.held = undefined;
    const endTask = this.endTask;
    this.endTask = undefined;
    endTask?.();
  }

  /** A snapshot: shown at once when no window is open (or it is the last), else held. */
  private arrived(snapshot: ChatState): void {
    if (!this.throttle || snapshot.done) {
      this.held = undefined;
      this.show(snapshot);
      return;
    }
    if (this.window) {
      this.held = snapshot;
      return;
    }
    this.show(snapshot);
    this.openWindow();
  }

  private openWindow(): void {
    const { scheduler, delay, steps } = this.throttle!;
    this.stepsLeft = steps;
    this.window = scheduler.schedule(windowStep, delay, this);
  }

  /** The end of one step of the window: counts down, then shows what was held. */
  step(action: SchedulerAction<ChatResourceRef>): void {
    if (this.stepsLeft > 1) {
      this.stepsLeft--;
      action.schedule(this, this.throttle!.delay);
      return;
    }
    const held = this.held;
    this.held = undefined;
    if (held === undefined) {
      this.window = undefined;
      return;
    }
    this.stepsLeft = this.throttle!.steps;
    action.schedule(this, this.throttle!.delay);
    this.show(held);
  }

  private flush(): void {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined) this.show(held);
  }

  private show(snapshot: ChatState): void {
    this.state.update((state) => ({ ...state, value: snapshot, status: 'streaming' }));
  }
}

function windowStep(this: SchedulerAction<ChatResourceRef>, resource?: ChatResourceRef): void {
  resource!.step(this);
}

function throttleSettings(throttle: ChatResourceThrottle | false | undefined) {
  if (throttle === false) return null;
  const { frames, interval, scheduler } = throttle ?? {};
  if (frames !== undefined && interval !== undefined) {
    throw new RangeError('chatResource: give either throttle.frames or throttle.interval');
  }
  if (frames !== undefined && (!Number.isInteger(frames) || frames < 1)) {
    throw new RangeError(`chatResource: throttle.frames must be an integer >= 1, got ${frames}`);
  }
  if (interval !== undefined && !(interval >= 0 && Number.isFinite(interval))) {
    throw new RangeError(`chatResource: throttle.interval must be >= 0 ms, got ${interval}`);
  }
  if (interval !== undefined) {
    return { scheduler: scheduler ?? asyncScheduler, delay: interval, steps: 1 };
  }
  const hasFrames = typeof requestAnimationFrame === 'function';
  return {
    scheduler: scheduler ?? (hasFrames ? animationFrameScheduler : asyncScheduler),
    // On animationFrameScheduler a zero delay is one frame; a delay > 0 would leave the frames.
    delay: scheduler || hasFrames ? 0 : 16,
    steps: frames ?? 1,
  };
}

function asRxChatError(error: unknown): RxChatError {
  if (RxChatError.isInstance(error)) return error;
  return new RxChatError(
    'connection_error',
    `The chat request failed: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error, retryable: false },
  );
}
