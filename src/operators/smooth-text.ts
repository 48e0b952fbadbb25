import {
  Subscription,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
  type Subscriber,
} from 'rxjs';
import { Arrivals } from '../text/arrivals';
import { endsInHighSurrogate } from '../text/code-points';
import { createUnitSplitter, type TextUnit, type UnitSplitter } from '../text/units';
import { engineOperator, type OperatorEngine } from './engine-internals';

/** Options of {@link smoothText}. Times are in milliseconds. */
export interface SmoothTextConfig {
  /**
   * The longest time any character is held back: each is emitted no later than its arrival plus
   * `maxLag`, and the output completes no later than `maxLag` after the source. 0: pass the text
   * through unchanged. `Infinity`: no bound, a steady one unit per tick.
   */
  maxLag: number;
  /** The unit released at a time. Default `'grapheme'` (one visible character). */
  unit?: TextUnit;
  /** The time between two releases, the typewriter's tick. Default 16 (about one frame). */
  interval?: number;
  /** The locale for `Intl.Segmenter` (word and sentence rules differ by language). */
  locale?: string;
  /** Whether to emit everything queued at once before passing on a source error. Default false. */
  flushOnError?: boolean;
  /** The scheduler that times the ticks. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

function validate(config: SmoothTextConfig): void {
  const { maxLag, interval } = config;
  if (!(typeof maxLag === 'number' && maxLag >= 0)) {
    throw new RangeError(
      `smoothText: maxLag must be a number of milliseconds >= 0, got ${String(maxLag)}`,
    );
  }
  if (
    interval !== undefined &&
    !(typeof interval === 'number' && interval > 0 && interval < Infinity)
  ) {
    throw new RangeError(
      `smoothText: interval must be a finite number of milliseconds > 0, got ${String(interval)}`,
    );
  }
  // Fails now, at pipe time, on an unknown unit or a bad locale, rather than at subscription.
  createUnitSplitter(config.unit ?? 'grapheme', config.locale);
}

/**
 * Queued units that share a deadline (normally those of one piece of text); `next` is the first
 * not released yet.
 */
interface Batch {
  deadline: number;
  units: string[];
  next: number;
}

/** The complete units waiting to be released, in order, grouped by deadline. */
class UnitQueue {
  private batches: Batch[] = [];
  /** The first batch with units left. */
  private head = 0;
  /** How many units are queued. */
  size = 0;

  add(unit: string, deadline: number): void {
    const last = this.batches[this.batches.length - 1];
    if (last && this.head < this.batches.length && last.deadline === deadline) {
      last.units.push(unit);
    } else {
      this.batches.push({ deadline, units: [unit], next: 0 });
    }
    this.size++;
  }

  /** The next `count` units (at most {@link size}), joined. */
  take(count: number): string {
    const batches = this.batches;
    let text = '';
    while (count > 0) {
      const batch = batches[this.head]!;
      const n = Math.min(count, batch.units.length - batch.next);
      text += batch.units.slice(batch.next, batch.next + n).join('');
      batch.next += n;
      count -= n;
      this.size -= n;
      if (batch.next === batch.units.length) this.head++;
    }
    if (this.head > 64 && this.head * 2 > batches.length) {
      batches.splice(0, this.head);
      this.head = 0;
    }
    return text;
  }

  /**
   * How many units to release at `now`, with ticks `interval` apart: those that would be late at
   * the next tick, and a share of the rest.
   */
  dueAt(now: number, interval: number): number {
    const batches = this.batches;
    // Ticks stay `interval` apart while the ticker runs: a unit due before the next one goes
    // now, early, rather than on a tick of its own that would break the rhythm.
    let due = 0;
    let i = this.head;
    for (; i < batches.length && batches[i]!.deadline < now + interval; i++) {
      due += batches[i]!.units.length - batches[i]!.next;
    }
    if (i === batches.length) return due;
    // The first `waiting` units have the ticks from now to their deadline to go out in:
    // releasing `rate` per tick meets that deadline if rate >= waiting / ticks. The largest
    // such bound over all deadlines is the slowest steady pace that drains the backlog in
    // time, without a jump at the last moment.
    let waiting = 0;
    let rate = 1;
    for (; i < batches.length; i++) {
      const batch = batches[i]!;
      waiting += batch.units.length - batch.next;
      const ticks = Math.floor((batch.deadline - now) / interval) + 1;
      rate = Math.max(rate, Math.ceil(waiting / ticks));
    }
    return due + Math.min(rate, waiting);
  }
}

/** The settings of one {@link smoothText}, defaults filled in. */
type Settings = Required<Omit<SmoothTextConfig, 'locale'>> & Pick<SmoothTextConfig, 'locale'>;

/**
 * The engine of {@link smoothText} for one subscription: cuts the text into units as it arrives,
 * queues them with their deadlines, and runs the ticker that releases them to `subscriber`.
 */
class Typewriter implements OperatorEngine<string> {
  /** Holds the upstream subscription and the ticker. */
  readonly subscription = new Subscription();
  private readonly splitter: UnitSplitter;
  private readonly arrivals = new Arrivals();
  private readonly queue = new UnitQueue();
  /** Characters the splitter has handed out; its tail starts there. */
  private split = 0;
  private done = false;
  private timer: Subscription | undefined;
  /** Whether the ticker only waits for the tail's deadline. */
  private timerForTail = false;
  private ticking = false;

  constructor(
    private readonly subscriber: Subscriber<string>,
    private readonly settings: Settings,
  ) {
    this.splitter = createUnitSplitter(settings.unit, settings.locale);
  }

  /** A piece of text from the source. */
  next(text: string): void {
    if (text === '') return;
    if (this.settings.maxLag === 0) return this.subscriber.next(text);
    this.arrivals.add(text.length, this.settings.scheduler.now());
    for (const piece of this.splitter.push(text)) this.enqueue(piece);
    this.wake();
  }

  /** The source failed: the queue is dropped, or emitted at once with `flushOnError`. */
  error(error: unknown): void {
    this.stopTimer();
    if (this.settings.flushOnError) {
      const text = this.queue.take(this.queue.size) + this.takeTail(true);
      if (text !== '') this.subscriber.next(text);
    }
    this.subscriber.error(error);
  }

  /** The source completed: the queue drains, then the output completes. */
  complete(): void {
    this.done = true;
    // No more text can extend the tail: its units are like the others now.
    for (const piece of this.splitter.end()) this.enqueue(piece);
    this.wake();
  }

  private deadlineAt(offset: number): number {
    return this.arrivals.at(offset) + this.settings.maxLag;
  }

  private enqueue(text: string): void {
    const deadline = this.deadlineAt(this.split);
    this.split += text.length;
    this.queue.add(text, deadline);
  }

  /** The tail, given up on (its deadline came): half a surrogate pair stays held. */
  private takeTail(final = false): string {
    const tail = this.splitter.flush(!final);
    this.split += tail.length;
    return tail;
  }

  /** What to release at `now`: what would be late at the next tick, and a share of the rest. */
  private release(now: number): string {
    const queue = this.queue;
    const tail = this.splitter.pending();
    // Every complete unit precedes the tail, so none has a later deadline.
    if (tail !== '' && this.deadlineAt(this.split) <= now) {
      return queue.take(queue.size) + this.takeTail();
    }
    return queue.take(queue.dueAt(now, this.settings.interval));
  }

  /** Releases what is due now; returns the delay to the next tick, undefined for none. */
  private tick(): number | undefined {
    const now = this.settings.scheduler.now();
    this.ticking = true;
    try {
      const text = this.release(now);
      if (text !== '') this.subscriber.next(text);
    } finally {
      this.ticking = false;
    }
    if (this.subscriber.closed) return undefined;
    if (this.queue.size > 0) {
      // Every unit left is due at the next tick or later.
      this.timerForTail = false;
      return this.settings.interval;
    }
    const pending = this.splitter.pending();
    if (pending !== '' && !(pending.length === 1 && endsInHighSurrogate(pending))) {
      // Nothing to release until the tail completes or its deadline comes.
      this.timerForTail = true;
      const wait = this.deadlineAt(this.split) - now;
      return Number.isFinite(wait) ? wait : undefined;
    }
    if (this.done) this.subscriber.complete();
    return undefined;
  }

  private stopTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  /** Ticks now, unless the ticker already runs (a reentrant call is picked up by the tick). */
  private wake(): void {
    if (this.ticking) return;
    if (this.timer && (this.queue.size === 0 || !this.timerForTail)) return;
    this.stopTimer();
    const delay = this.tick();
    if (delay === undefined || this.subscriber.closed) return;
    this.timer = this.settings.scheduler.schedule(Typewriter.run, delay, this);
    this.subscription.add(this.timer);
  }

  /** One action for the whole run of the ticker: it reschedules itself while text is queued. */
  private static run(this: SchedulerAction<Typewriter>, typewriter?: Typewriter): void {
    const delay = typewriter!.tick();
    if (delay !== undefined) return void this.schedule(typewriter, delay);
    // The run is over: let go of the action, or a long stream would collect one per run.
    typewriter!.timer = undefined;
    typewriter!.subscription.remove(this);
  }
}

/**
 * A typewriter for streamed text: releases it unit by unit (by default grapheme by grapheme) at
 * a steady pace, so the display moves smoothly instead of in the bursts a model's stream comes
 * in, while never holding any character back more than `maxLag` ms.
 *
 * While text is queued, one ticker runs, exactly every `interval` ms. Each tick releases, as one
 * string, every unit whose deadline (the arrival of its first character plus `maxLag`) comes
 * before the next tick, plus a share of the rest: the smallest whole number of units that,
 * released at that rate every tick, would meet every queued deadline, and at least one. A burst
 * thus drains evenly over `maxLag` (no jump at the deadline), and a fast model is never slowed
 * down: the rate grows with the backlog. Text that arrives while the ticker is idle starts it at
 * once, so a slow stream passes through without delay. The ticker stops while nothing is queued.
 * With `maxLag` below `interval` every complete unit goes at once.
 *
 * The incomplete unit at the end (half a word, an emoji that may still grow) is held like the
 * rest of the queue, and released as it is when its deadline comes if it did not complete
 * before. When the source completes, the queue keeps draining, and the output completes within
 * `maxLag`. Deadlines hold exactly on the scheduler's clock. On a source error the queue is
 * dropped, or emitted at once with `flushOnError`. Unsubscribing cancels the ticker. Empty
 * strings produce nothing; `maxLag` 0 passes text through unchanged.
 *
 * @throws RangeError when `maxLag` is negative or NaN, `interval` is not a positive finite
 * number, `unit` is not a unit, or `locale` is invalid.
 *
 * @example
 * ```ts
 * client.stream(req)
 *   .pipe(contentDeltas(), smoothText({ maxLag: 400 }))
 *   .subscribe((text) => (output.textContent += text));
 *
 * // Word by word, for speech or for layouts that reflow on every character:
 * deltas$.pipe(smoothText({ maxLag: 600, unit: 'word', interval: 50 }));
 * ```
 */
export function smoothText(config: SmoothTextConfig): OperatorFunction<string, string> {
  validate(config);
  const {
    maxLag,
    unit = 'grapheme',
    interval = 16,
    locale,
    flushOnError = false,
    scheduler = asyncScheduler,
  } = config;
  const settings: Settings = { maxLag, unit, interval, locale, flushOnError, scheduler };

  return engineOperator((subscriber) => new Typewriter(subscriber, settings));
}
