import {
  Subscription,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
  type Subscriber,
} from 'rxjs';
import { Arrivals } from '../text/arrivals';
import { createUnitSplitter, type TextUnit, type UnitSplitter } from '../text/units';
import { engineOperator, type OperatorEngine } from './engine-internals';

/** Options of {@link bufferText}. Times are in milliseconds. */
export interface BufferTextConfig {
  /** The unit to emit whole: `'word'`, `'line'`, `'sentence'`, `'grapheme'` or a `RegExp`. */
  by: TextUnit;
  /**
   * The longest time a character may be held back waiting for its unit to complete; then the
   * held text is emitted as it is, even mid-unit. `undefined` or `Infinity` (the default): wait
   * until the unit completes or the source completes. 0: emit the held text at once after every
   * piece, so only the cutting into units remains.
   */
  maxWait?: number;
  /** The locale for `Intl.Segmenter` (word and sentence rules differ by language). */
  locale?: string;
  /**
   * The most text (UTF-16 units) held while a unit is incomplete; beyond it the held text is
   * emitted as it is, so a unit that never completes (a `RegExp` that never matches) cannot grow
   * without bound. It also bounds the work a piece can repeat: a `RegExp` is matched against all
   * the held text on every piece (a match may start anywhere in it), and a few odd units are read
   * again whole (a letter under thousands of combining marks, say). Default 4096.
   */
  maxHeld?: number;
  /** Whether to emit the held text before passing on a source error. Default false. */
  flushOnError?: boolean;
  /** The scheduler that times `maxWait`. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
}

function validate(config: BufferTextConfig): void {
  const { maxWait } = config;
  if (maxWait !== undefined && !(typeof maxWait === 'number' && maxWait >= 0)) {
    throw new RangeError(
      `bufferText: maxWait must be a number of milliseconds >= 0 (or undefined for none), got ${String(maxWait)}`,
    );
  }
  // Fails now, at pipe time, on an unknown unit or a bad locale, rather than at subscription.
  createUnitSplitter(config.by, config.locale, config.maxHeld);
}

/** The settings of one {@link bufferText}, defaults filled in. */
interface Settings {
  by: TextUnit;
  locale: string | undefined;
  maxHeld: number | undefined;
  maxWait: number;
  /** Whether arrival times matter: only to a wait that can run out later. */
  timed: boolean;
  flushOnError: boolean;
  scheduler: SchedulerLike;
}

/**
 * The engine of {@link bufferText} for one subscription: cuts the text into units as it arrives,
 * emits the complete ones to `subscriber`, and times the wait of the held one.
 */
class UnitBuffer implements OperatorEngine<string> {
  /** Holds the upstream subscription and the pending action. */
  readonly subscription = new Subscription();
  private readonly splitter: UnitSplitter;
  private readonly arrivals = new Arrivals();
  /** How many characters arrived (counted only when timed). */
  private received = 0;
  private timer: Subscription | undefined;
  // Emissions go through one outbox, drained only by the outermost call: a subscriber that
  // feeds the source from inside `next` must not see later text before earlier units.
  private readonly outbox: string[] = [];
  private draining = false;

  constructor(
    private readonly subscriber: Subscriber<string>,
    private readonly settings: Settings,
  ) {
    this.splitter = createUnitSplitter(settings.by, settings.locale, settings.maxHeld);
  }

  /** A piece of text from the source. */
  next(text: string): void {
    if (text === '') return;
    const { splitter, settings } = this;
    if (settings.timed) this.received = this.arrivals.add(text.length, settings.scheduler.now());
    const units = splitter.push(text);
    if (settings.maxWait === 0) {
      const held = splitter.flush(true);
      if (held !== '') units.push(held);
    }
    const waiting = splitter.pending() !== '';
    if (!waiting) this.stopTimer();
    this.emit(units);
    if (waiting && settings.timed && !this.timer && !this.subscriber.closed) {
      // Units that complete meanwhile leave a younger tail; the action then fires early and
      // reschedules itself for the rest of that tail's wait.
      this.timer = settings.scheduler.schedule(
        UnitBuffer.expire,
        Math.max(0, this.waitLeft()),
        this,
      );
      this.subscription.add(this.timer);
    }
  }

  /** The source failed: the held text is dropped, or emitted first with `flushOnError`. */
  error(error: unknown): void {
    this.stopTimer();
    if (this.settings.flushOnError) this.emitHeld(true);
    this.subscriber.error(error);
  }

  /** The source completed: the held text goes out as its units, then the output completes. */
  complete(): void {
    this.stopTimer();
    this.emitHeld(true);
    this.subscriber.complete();
  }

  /** How long the oldest held character may still wait. */
  private waitLeft(): number {
    const heldSince = this.arrivals.at(this.received - this.splitter.pending().length);
    return heldSince + this.settings.maxWait - this.settings.scheduler.now();
  }

  private emit(units: readonly string[]): void {
    const { outbox, subscriber } = this;
    for (const unit of units) outbox.push(unit);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let i = 0; i < outbox.length && !subscriber.closed; i++) subscriber.next(outbox[i]!);
    } finally {
      outbox.length = 0;
      this.draining = false;
    }
  }

  /**
   * Emits the held text: at the end as the units it holds, on a timed give-up as it is (less
   * half a surrogate pair).
   */
  private emitHeld(final: boolean): void {
    this.arrivals.clear();
    if (final) return this.emit(this.splitter.end());
    const held = this.splitter.flush(true);
    if (held !== '') this.emit([held]);
  }

  private stopTimer(): void {
    this.arrivals.clear();
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  /** The hold period's action: gives the held text up once its wait has run out. */
  private static expire(this: SchedulerAction<UnitBuffer>, buffer?: UnitBuffer): void {
    const left = buffer!.waitLeft();
    if (left > 0) {
      this.schedule(buffer, left);
    } else {
      // Done: let go of the action, or a long stream would collect them.
      buffer!.timer = undefined;
      buffer!.subscription.remove(this);
      buffer!.emitHeld(false);
    }
  }
}

/**
 * Re-chunks streamed text into whole units (words, lines, sentences, graphemes, or pieces ending
 * at a `RegExp` match), so a renderer never sees half a word, half a Markdown line or half an
 * emoji. Each unit is emitted as its own string as soon as it is complete, that is as soon as the
 * text that follows it shows where it ends (see {@link TextUnit}).
 *
 * The incomplete unit at the end is held until it completes, until `maxWait` ms have passed since
 * its oldest character arrived (then it is emitted as it is, even mid-unit, so a stalled stream
 * still shows its text), or until the source completes (then what is held is emitted before
 * completion, as the units it holds). Units are cut where one pass over the whole text would cut
 * them, however the text is split into pieces (unless held text is given up). The output always
 * concatenates to exactly the input; empty strings produce nothing.
 *
 * Time is measured on `scheduler`, with one action per hold period (rescheduled in place when
 * units complete meanwhile), never one per piece, and none while nothing is held. On a source
 * error the held text is dropped, or emitted first with `flushOnError`. Unsubscribing cancels
 * the pending action.
 *
 * @throws RangeError when `maxWait` is negative or NaN, `by` is not a unit, or `locale` is invalid.
 *
 * @example
 * ```ts
 * client.stream(req)
 *   .pipe(contentDeltas(), bufferText({ by: 'line', maxWait: 250 }))
 *   .subscribe((line) => terminal.write(line));
 * ```
 */
export function bufferText(config: BufferTextConfig): OperatorFunction<string, string> {
  validate(config);
  const { by, locale, maxHeld, flushOnError = false, scheduler = asyncScheduler } = config;
  const maxWait = config.maxWait ?? Infinity;
  const timed = maxWait > 0 && Number.isFinite(maxWait);
  const settings: Settings = { by, locale, maxHeld, maxWait, timed, flushOnError, scheduler };

  return engineOperator((subscriber) => new UnitBuffer(subscriber, settings));
}
