import {
  Observable,
  Subscription,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { createUnitSplitter, type TextUnit } from '../text/units';

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

/**
 * When each character still held by a splitter arrived. Offsets count characters pushed since
 * the start; lookups only move forward, so old marks are dropped as they are passed.
 */
class Arrivals {
  private marks: { end: number; time: number }[] = [];
  private head = 0;
  private total = 0;

  /** Records `length` characters arriving at `time`; returns the offset after them. */
  add(length: number, time: number): number {
    this.total += length;
    this.marks.push({ end: this.total, time });
    return this.total;
  }

  /** The arrival time of the character at `offset`, which must be below the total added. */
  at(offset: number): number {
    while (this.marks[this.head]!.end <= offset) this.head++;
    if (this.head > 64 && this.head * 2 > this.marks.length) {
      this.marks = this.marks.slice(this.head);
      this.head = 0;
    }
    return this.marks[this.head]!.time;
  }

  /** Forgets every mark, for when nothing is held any more. */
  clear(): void {
    this.marks = [];
    this.head = 0;
  }
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
  const { by, locale, flushOnError = false, scheduler = asyncScheduler } = config;
  const maxWait = config.maxWait ?? Infinity;
  // Arrival times matter only to a wait that can run out later.
  const timed = maxWait > 0 && Number.isFinite(maxWait);

  return (source) =>
    new Observable<string>((subscriber) => {
      // Holds the upstream subscription and the pending action.
      const subscription = new Subscription();
      const splitter = createUnitSplitter(by, locale, config.maxHeld);
      const arrivals = new Arrivals();
      let received = 0;
      let timer: Subscription | undefined;

      const heldSince = () => arrivals.at(received - splitter.pending().length);
      const waitLeft = () => heldSince() + maxWait - scheduler.now();

      // Emissions go through one outbox, drained only by the outermost call: a subscriber that
      // feeds the source from inside `next` must not see later text before earlier units.
      const outbox: string[] = [];
      let draining = false;
      const emit = (units: readonly string[]) => {
        for (const unit of units) outbox.push(unit);
        if (draining) return;
        draining = true;
        try {
          for (let i = 0; i < outbox.length && !subscriber.closed; i++) subscriber.next(outbox[i]!);
        } finally {
          outbox.length = 0;
          draining = false;
        }
      };

      /**
       * Emits the held text: at the end as the units it holds, on a timed give-up as it is (less
       * half a surrogate pair).
       */
      const emitHeld = (final: boolean) => {
        arrivals.clear();
        if (final) return emit(splitter.end());
        const held = splitter.flush(true);
        if (held !== '') emit([held]);
      };

      const stopTimer = () => {
        arrivals.clear();
        timer?.unsubscribe();
        timer = undefined;
      };

      subscription.add(
        source.subscribe({
          next(text) {
            if (text === '') return;
            if (timed) received = arrivals.add(text.length, scheduler.now());
            const units = splitter.push(text);
            if (maxWait === 0) {
              const held = splitter.flush(true);
              if (held !== '') units.push(held);
            }
            const waiting = splitter.pending() !== '';
            if (!waiting) stopTimer();
            emit(units);
            if (waiting && timed && !timer && !subscriber.closed) {
              // Units that complete meanwhile leave a younger tail; the action then fires early
              // and reschedules itself for the rest of that tail's wait.
              timer = scheduler.schedule(
                function (this: SchedulerAction<unknown>) {
                  const left = waitLeft();
                  if (left > 0) {
                    this.schedule(undefined, left);
                  } else {
                    // Done: let go of the action, or a long stream would collect them.
                    timer = undefined;
                    subscription.remove(this);
                    emitHeld(false);
                  }
                },
                Math.max(0, waitLeft()),
              );
              subscription.add(timer);
            }
          },
          error(error: unknown) {
            stopTimer();
            if (flushOnError) emitHeld(true);
            subscriber.error(error);
          },
          complete() {
            stopTimer();
            emitHeld(true);
            subscriber.complete();
          },
        }),
      );
      return subscription;
    });
}
