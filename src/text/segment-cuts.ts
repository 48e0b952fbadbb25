import type { CutEngine } from './cut-engine';
import { endsInHighSurrogate, isHighSurrogate, isLowSurrogate } from './code-points';

/** What a {@link WindowReader} made of one window: text from a restart point to some end. */
export interface WindowReading {
  /** Window offsets where units certainly end, increasing. */
  cuts: number[];
  /**
   * Where the next window starts: a point after which segmenting gives the boundaries one pass
   * over the whole text gives, with no boundary left unjudged before it. 0 when there is none.
   */
  restart: number;
  /** Whether reading stopped early to bound its cost, with boundaries left in the window. */
  more: boolean;
}

/** Turns the `Intl.Segmenter` boundaries of a window into cuts, one mode at a time. */
export interface WindowReader {
  readonly granularity: 'grapheme' | 'word' | 'sentence';
  /**
   * Reads the segments of `window`. `atEnd`: the window ends where the text ends, for good, so
   * every boundary in it is final. `whole`: the window holds all the text there is so far.
   * `budget`: how many restart points to pass before stopping (with `more`).
   */
  read(
    segments: Intl.Segments,
    window: string,
    atEnd: boolean,
    whole: boolean,
    budget: number,
  ): WindowReading;
  /**
   * Whether `text`, appended after the last reading (which saw all the text there was), certainly
   * changes no verdict, so that reading again can wait: `previous` is the text pushed before it
   * (its last code point is the one before `text`; empty after a restart), `length` the length
   * of the text from the restart point on, `text` included.
   */
  idle(text: string, previous: string, length: number): boolean;
  /** Back to the state of a fresh stream. */
  reset(): void;
}

/**
 * The length of the first window read from a restart point. Intl.Segmenter on Node 20 copies the
 * whole input into every segment it returns, so one call costs the number of segments times the
 * input length: windows this short keep it near 1 ms per kilobyte even for graphemes.
 */
export const WINDOW = 1024;

/**
 * How many segments one call may return: a window that grew (a long unit or a long lookahead had
 * to be read whole) stops after this many, so a long input with many short units behind the long
 * one does not pay the input length for each of them. (2^20 UTF-16 units copied: about 1 ms.)
 */
export function segmentBudget(windowLength: number): number {
  return Math.max(64, Math.floor(2 ** 20 / windowLength));
}

/** Sizes of {@link segmentCuts}, for tests that exercise windows with short text. */
export interface SegmentCutsOptions {
  /** The length of the first window from a restart point. Default {@link WINDOW}. */
  window?: number;
  /** How many restart points one window may pass. Default {@link segmentBudget}. */
  budget?: (windowLength: number) => number;
}

/**
 * A {@link CutEngine} that segments text with `Intl.Segmenter` in bounded windows, each starting
 * at a restart point the reader vouches for, so that the cuts are those of one pass over the
 * whole text however it arrives. A window grows (doubling) only while it holds no restart point,
 * which takes a single unit or a single undecided boundary longer than a window.
 */
export function segmentCuts(
  reader: WindowReader,
  locale: string | undefined,
  { window: first = WINDOW, budget = segmentBudget }: SegmentCutsOptions = {},
): CutEngine {
  const segmenter = new Intl.Segmenter(locale, { granularity: reader.granularity });
  // The text from the restart point on, and its offset in the stream.
  let context = '';
  let contextAt = 0;

  const read = (final: boolean): number[] => {
    const cuts: number[] = [];
    let width = first;
    for (;;) {
      // A high surrogate at the end is half a code point whose other half is still to come.
      const visible = final || !endsInHighSurrogate(context) ? context.length : context.length - 1;
      if (visible === 0) return cuts;
      let end = Math.min(visible, width);
      // Never between the halves of a pair: the window would end in half a code point.
      if (
        end < visible &&
        isHighSurrogate(context.charCodeAt(end - 1)) &&
        isLowSurrogate(context.charCodeAt(end))
      ) {
        end++;
      }
      const window = end === context.length ? context : context.slice(0, end);
      const reading = reader.read(
        segmenter.segment(window),
        window,
        final && end === context.length,
        end === visible,
        budget(window.length),
      );
      for (const cut of reading.cuts) cuts.push(contextAt + cut);
      if (reading.restart > 0) {
        context = context.slice(reading.restart);
        contextAt += reading.restart;
        width = first;
        if (end === visible && !reading.more) return cuts;
      } else if (end < visible) {
        width *= 2;
      } else {
        return cuts;
      }
    }
  };

  // The last text pushed: its end is the end of the context, which, built by concatenation,
  // would be flattened by reading a character of it.
  let previous = '';

  return {
    push(text) {
      context += text;
      const idle = reader.idle(text, previous, context.length);
      previous = text;
      return idle ? [] : read(false);
    },
    end: () => read(true),
    restart(offset, kept) {
      context = kept;
      contextAt = offset;
      previous = kept;
      reader.reset();
    },
  };
}
