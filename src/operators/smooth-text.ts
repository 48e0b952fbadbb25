import {
  Observable,
  Subscription,
  asyncScheduler,
  type OperatorFunction,
  type SchedulerAction,
  type SchedulerLike,
} from 'rxjs';
import { createUnitSplitter, endsInHighSurrogate, type TextUnit } from '../text/units';

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

  return (source) =>
    new Observable<string>((subscriber) => {
      // Holds the upstream subscription and the ticker.
      const subscription = new Subscription();
      const splitter = createUnitSplitter(unit, locale);
      const arrivals = new Arrivals();
      const batches: Batch[] = [];
      let head = 0; // The first batch with units left.
      let queued = 0; // Complete units queued, not counting the splitter's tail.
      let split = 0; // Characters the splitter has handed out; its tail starts there.
      let done = false;
      let timer: Subscription | undefined;
      let timerForTail = false; // Whether the ticker only waits for the tail's deadline.
      let ticking = false;

      const deadlineAt = (offset: number) => arrivals.at(offset) + maxLag;

      const enqueue = (text: string) => {
        const deadline = deadlineAt(split);
        split += text.length;
        const last = batches[batches.length - 1];
        if (last && head < batches.length && last.deadline === deadline) last.units.push(text);
        else batches.push({ deadline, units: [text], next: 0 });
        queued++;
      };

      const take = (count: number): string => {
        let text = '';
        while (count > 0) {
          const batch = batches[head]!;
          const n = Math.min(count, batch.units.length - batch.next);
          text += batch.units.slice(batch.next, batch.next + n).join('');
          batch.next += n;
          count -= n;
          queued -= n;
          if (batch.next === batch.units.length) head++;
        }
        if (head > 64 && head * 2 > batches.length) {
          batches.splice(0, head);
          head = 0;
        }
        return text;
      };

      /** The tail, given up on (its deadline came): half a surrogate pair stays held. */
      const takeTail = (final = false) => {
        const tail = splitter.flush(!final);
        split += tail.length;
        return tail;
      };

      /** What to release at `now`: what would be late at the next tick, and a share of the rest. */
      const release = (now: number): string => {
        const tail = splitter.pending();
        // Every complete unit precedes the tail, so none has a later deadline.
        if (tail !== '' && deadlineAt(split) <= now) return take(queued) + takeTail();
        // Ticks stay `interval` apart while the ticker runs: a unit due before the next one goes
        // now, early, rather than on a tick of its own that would break the rhythm.
        let due = 0;
        let i = head;
        for (; i < batches.length && batches[i]!.deadline < now + interval; i++) {
          due += batches[i]!.units.length - batches[i]!.next;
        }
        if (i === batches.length) return take(due);
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
        return take(due + Math.min(rate, waiting));
      };

      /** Releases what is due now; returns the delay to the next tick, undefined for none. */
      const tick = (): number | undefined => {
        const now = scheduler.now();
        ticking = true;
        try {
          const text = release(now);
          if (text !== '') subscriber.next(text);
        } finally {
          ticking = false;
        }
        if (subscriber.closed) return undefined;
        if (queued > 0) {
          // Every unit left is due at the next tick or later.
          timerForTail = false;
          return interval;
        }
        const pending = splitter.pending();
        if (pending !== '' && !(pending.length === 1 && endsInHighSurrogate(pending))) {
          // Nothing to release until the tail completes or its deadline comes.
          timerForTail = true;
          const wait = deadlineAt(split) - now;
          return Number.isFinite(wait) ? wait : undefined;
        }
        if (done) subscriber.complete();
        return undefined;
      };

      const stopTimer = () => {
        timer?.unsubscribe();
        timer = undefined;
      };

      // One action for the whole run of the ticker: it reschedules itself while text is queued.
      function work(this: SchedulerAction<unknown>) {
        const delay = tick();
        if (delay !== undefined) return void this.schedule(undefined, delay);
        // The run is over: let go of the action, or a long stream would collect one per run.
        timer = undefined;
        subscription.remove(this);
      }

      /** Ticks now, unless the ticker already runs (a reentrant call is picked up by the tick). */
      const wake = () => {
        if (ticking) return;
        if (timer && (queued === 0 || !timerForTail)) return;
        stopTimer();
        const delay = tick();
        if (delay === undefined || subscriber.closed) return;
        timer = scheduler.schedule(work, delay);
        subscription.add(timer);
      };

      subscription.add(
        source.subscribe({
          next(text) {
            if (text === '') return;
            if (maxLag === 0) return subscriber.next(text);
            arrivals.add(text.length, scheduler.now());
            for (const piece of splitter.push(text)) enqueue(piece);
            wake();
          },
          error(error: unknown) {
            stopTimer();
            if (flushOnError) {
              const text = take(queued) + takeTail(true);
              if (text !== '') subscriber.next(text);
            }
            subscriber.error(error);
          },
          complete() {
            done = true;
            // No more text can extend the tail: its units are like the others now.
            for (const piece of splitter.end()) enqueue(piece);
            wake();
          },
        }),
      );
      return subscription;
    });
}
