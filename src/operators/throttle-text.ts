import {
  Subscription,
  animationFrameScheduler,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
  type Subscriber,
} from 'rxjs';
import { SurrogateHold } from '../text/surrogate-hold';
import { engineOperator, type OperatorEngine } from './engine-internals';

/** Options of {@link throttleText}. */
export interface ThrottleTextConfig {
  /**
   * The window length in milliseconds on `scheduler`. Default 50. Not allowed together with
   * `frames`. 0 still coalesces what arrives synchronously, and on an asynchronous scheduler
   * everything up to the next macrotask.
   */
  interval?: number;
  /**
   * The window length in animation frames (a positive integer), instead of `interval`. The
   * scheduler then defaults to `animationFrameScheduler`, on which each window step is one
   * `requestAnimationFrame`, so at most one render happens per `frames` frames (which needs a
   * browser, or a scheduler of your own).
   */
  frames?: number;
  /**
   * `'delta'` (default): each emission is the text that arrived since the previous emission.
   * `'snapshot'`: each emission is all the text so far, for bindings such as `[textContent]`
   * that replace rather than append.
   */
  mode?: 'delta' | 'snapshot';
  /**
   * When the source fails, whether to emit the text still waiting for its window first. Default
   * false: the error goes out at once.
   */
  flushOnError?: boolean;
  /**
   * The scheduler that times the windows. Default `asyncScheduler`, or `animationFrameScheduler`
   * when `frames` is given.
   */
  scheduler?: SchedulerLike;
}

function checkConfig(config: ThrottleTextConfig): void {
  const { interval, frames, mode } = config;
  if (interval !== undefined && frames !== undefined) {
    throw new RangeError('throttleText: give either interval or frames, not both');
  }
  if (
    interval !== undefined &&
    (typeof interval !== 'number' || !(interval >= 0) || !Number.isFinite(interval))
  ) {
    throw new RangeError(
      `throttleText: interval must be a finite number of milliseconds >= 0, got ${String(interval)}`,
    );
  }
  if (frames !== undefined && (!Number.isInteger(frames) || frames < 1)) {
    throw new RangeError(`throttleText: frames must be an integer >= 1, got ${String(frames)}`);
  }
  if (mode !== undefined && mode !== 'delta' && mode !== 'snapshot') {
    throw new RangeError(`throttleText: mode must be 'delta' or 'snapshot', got ${String(mode)}`);
  }
}

/** The settings of one {@link throttleText}, worked out from its config. */
interface Settings {
  scheduler: SchedulerLike;
  /** The delay of one window step. */
  delay: number;
  /** How many steps make a window. */
  steps: number;
  snapshot: boolean;
  flushOnError: boolean;
}

/**
 * The engine of {@link throttleText} for one subscription: holds the text that arrives inside a
 * window, and runs the window's action, which emits it to `subscriber` when the window ends.
 */
class TextThrottle implements OperatorEngine<string> {
  /** Holds the upstream subscription, and cancels the open window. */
  readonly subscription = new Subscription(() => this.cancel());
  // Text held for the end of the current window. An array, so that a burst of many small chunks
  // costs one join per emission rather than a copy per chunk.
  private held: string[] = [];
  // The high surrogate that ended the text last taken out of `held`: it goes in front of the
  // next text, so that the two halves of a pair are emitted together.
  private readonly half = new SurrogateHold();
  // Everything emitted so far, in snapshot mode only.
  private total = '';
  // Whether a window is open, and its action (for cancelling). No action exists while quiet.
  private open = false;
  private timer: Subscription | undefined;
  /** The steps left in the open window, counting the one under way. */
  private stepsLeft = 0;

  constructor(
    private readonly subscriber: Subscriber<string>,
    private readonly settings: Settings,
  ) {}

  /** A piece of text from the source. */
  next(text: string): void {
    if (text === '') return;
    this.held.push(text);
    if (this.open) return;
    const leading = this.takeHeld();
    if (leading === '') return; // half a pair: it waits for the rest
    // Leading edge: open the window first (same reason as in windowEnd), then emit.
    this.open = true;
    this.stepsLeft = this.settings.steps;
    const action = this.settings.scheduler.schedule(TextThrottle.step, this.settings.delay, this);
    // A synchronous scheduler may have run the whole window inside schedule() already.
    if (this.open) this.timer = action;
    this.emit(leading);
  }

  /** The source failed: the held text is dropped, or emitted first with `flushOnError`. */
  error(error: unknown): void {
    if (this.settings.flushOnError) this.flush();
    else this.cancel();
    this.subscriber.error(error);
  }

  /** The source completed: the held text goes out at once, then the output completes. */
  complete(): void {
    this.flush();
    this.subscriber.complete();
  }

  /** Cancels the open window, if any. */
  private cancel(): void {
    this.open = false;
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  /** The held text, without a trailing high surrogate (kept in `half`); may be ''. */
  private takeHeld(): string {
    const held = this.held;
    this.held = [];
    return this.half.take(held.length === 1 ? held[0]! : held.join(''));
  }

  private emit(text: string): void {
    if (this.settings.snapshot) {
      // The one new string per emission; earlier snapshots are never copied again.
      this.total += text;
      this.subscriber.next(this.total);
    } else {
      this.subscriber.next(text);
    }
  }

  private flush(): void {
    this.cancel();
    // No more text will come: a half still held was lone, and goes out as it is.
    const text = this.takeHeld() + this.half.release();
    if (text !== '') this.emit(text);
  }

  /** The end of a window: emits what was held and opens the next window, or closes. */
  private windowEnd(action: SchedulerAction<TextThrottle>): void {
    const text = this.held.length === 0 ? '' : this.takeHeld();
    if (text === '') {
      // Nothing held, or only half a pair, whose other half opens the next window.
      this.open = false;
      this.timer = undefined;
      return;
    }
    // Reopen before emitting, so that text a consumer pushes back into the source while
    // handling this emission is held for the next window rather than emitted out of order.
    this.stepsLeft = this.settings.steps;
    action.schedule(this, this.settings.delay);
    this.emit(text);
  }

  // One action per open window: it counts down the frames, then either emits what was held
  // and reschedules itself for the next window, or lets the window close.
  private static step(this: SchedulerAction<TextThrottle>, throttle?: TextThrottle): void {
    if (throttle!.stepsLeft > 1) {
      throttle!.stepsLeft--;
      this.schedule(throttle, 0);
      return;
    }
    throttle!.windowEnd(this);
  }
}

/**
 * Coalesces streamed text so that a fast stream does not cause one render per chunk. Unlike
 * `throttleTime`, nothing is ever dropped: text that arrives inside a window is concatenated and
 * emitted when the window ends.
 *
 * Windows are leading and trailing. The first text after a quiet period goes out at once and
 * opens a window; text arriving inside it is held and emitted when the window ends, which opens
 * the next window. A window that ends with nothing held closes, and the operator goes quiet: no
 * timer runs until the next text arrives. So there is at most one emission per window.
 *
 * - A window lasts `interval` milliseconds (default 50), or, with `frames`, that many animation
 *   frames on `animationFrameScheduler`.
 * - In `'delta'` mode (default) each emission is the text since the previous emission; their
 *   concatenation is exactly the source's. In `'snapshot'` mode each emission is the whole text
 *   so far.
 * - On completion, held text is emitted at once, then the output completes: the last words never
 *   wait for a window.
 * - On error, the error goes out at once, unless `flushOnError` is true, in which case held text
 *   is emitted first.
 * - Empty strings are ignored: they neither emit nor open a window.
 * - No emission ends in half a surrogate pair: when the text due ends in a high surrogate (an
 *   emoji cut between two pieces), that half waits for the next text; if it was all there was,
 *   nothing is emitted and the window closes. On completion (and with `flushOnError`) a half
 *   that never got its pair is emitted as it is, so nothing is lost.
 * - Unsubscribing cancels the pending window.
 *
 * @throws RangeError when both `interval` and `frames` are given, when `interval` is negative,
 * NaN or infinite, when `frames` is not a positive integer, or for an unknown `mode`.
 *
 * @example
 * ```ts
 * // A terminal: at most one write per 50 ms, and every character written.
 * client.stream(req)
 *   .pipe(contentDeltas(), throttleText())
 *   .subscribe((text) => process.stdout.write(text));
 *
 * // An Angular template with [textContent]="answer$ | async": the whole answer, once per frame.
 * answer$ = client
 *   .stream(req)
 *   .pipe(contentDeltas(), throttleText({ frames: 1, mode: 'snapshot' }));
 * ```
 */
export function throttleText(config: ThrottleTextConfig = {}): OperatorFunction<string, string> {
  checkConfig(config);
  const { frames, mode = 'delta', flushOnError = false } = config;
  const settings: Settings = {
    scheduler:
      config.scheduler ?? (frames === undefined ? asyncScheduler : animationFrameScheduler),
    // In frames mode the window is counted down one zero-delay step at a time: on
    // animationFrameScheduler each such step waits for the next requestAnimationFrame, whereas
    // a delay > 0 would fall back to setInterval and lose the frame alignment.
    delay: frames === undefined ? (config.interval ?? 50) : 0,
    steps: frames ?? 1,
    snapshot: mode === 'snapshot',
    flushOnError,
  };

  return engineOperator((subscriber) => new TextThrottle(subscriber, settings));
}
