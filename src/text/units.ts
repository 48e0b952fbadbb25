import type { CutEngine } from './cut-engine';
import { endsInHighSurrogate } from './code-points';
import { lineCuts, regexpCuts } from './plain-cuts';
import { segmentCuts } from './segment-cuts';
import { graphemeReader, sentenceReader, wordReader } from './segment-readers';

/**
 * The units streamed text is cut into, and when each is complete (returned): as soon as no text
 * to come could move its end, so that the units are those of one pass over the whole text.
 *
 * - `'grapheme'`: user-perceived characters (`Intl.Segmenter` grapheme granularity), so an emoji
 *   ZWJ sequence, a flag or a letter with combining marks is never cut apart. Complete once the
 *   next code point is here.
 * - `'word'`: a word (a segment of `Intl.Segmenter` word granularity, which also finds words in
 *   Chinese or Japanese without spaces, that starts with a letter or digit or that it calls
 *   word-like) together with the spaces and punctuation after it. Complete once the next word has
 *   begun; in Chinese, Japanese, Thai and the like, once the run of such text it is in has ended
 *   (at punctuation, a space or another script), since a dictionary splits a run as a whole.
 * - `'sentence'`: a sentence (`Intl.Segmenter` sentence granularity), with its trailing spaces.
 *   Complete once a letter, a terminator or a line break follows it: before that, a lowercase
 *   word could still continue it ("e.g. 3 more").
 * - `'line'`: a line including its `'\n'` (so `'\r\n'` stays together).
 * - a `RegExp`: text up to the end of each match, for instance `/[.!?]\s/` or `/\n\n/`.
 *
 * One known exception: ICU splits a Japanese run that begins with the prolonged sound mark ー
 * (not after a kana, where it belongs) in a way that depends on text before it, so there word
 * units may differ from one pass.
 *
 * @example
 * ```ts
 * const byParagraph: TextUnit = /\n\n/;
 * content$.pipe(bufferText({ by: byParagraph })).subscribe(renderParagraph);
 * ```
 */
export type TextUnit = 'word' | 'line' | 'sentence' | 'grapheme' | RegExp;

/**
 * Cuts text that arrives in pieces into {@link TextUnit}s, holding back the last unit while it may
 * still grow. Everything returned by {@link UnitSplitter.push} and {@link UnitSplitter.end} (or a
 * {@link UnitSplitter.flush}) concatenates to exactly the text pushed: nothing is lost, reordered
 * or repeated, and no returned unit is empty.
 *
 * @example
 * ```ts
 * const splitter = createUnitSplitter('word');
 * splitter.push('Hello wo'); // ['Hello ']
 * splitter.pending(); // 'wo'
 * splitter.push('rld!'); // []
 * splitter.end(); // ['world!']
 * ```
 */
export interface UnitSplitter {
  /** Adds `text` and returns the units that are now complete, in order. */
  push(text: string): string[];
  /** The held text: the unit that may still grow, and any after it whose start is undecided. */
  pending(): string;
  /**
   * No more text will come: returns the held text cut into its units (a boundary that waited for
   * text that never came is decided now), and clears it.
   */
  end(): string[];
  /**
   * Gives up waiting: returns the held text as it is and clears it, and the text after it is cut
   * as if it began the stream. With `keepHalfPair`, a trailing high surrogate stays held, so that
   * half an emoji is never emitted on its own.
   */
  flush(keepHalfPair?: boolean): string;
}

/** How much incomplete text a splitter holds before it gives it up as it is (UTF-16 units). */
export const DEFAULT_MAX_HELD = 4096;

function cutEngine(by: TextUnit, locale: string | undefined): CutEngine {
  if (by instanceof RegExp) return regexpCuts(by);
  switch (by) {
    case 'grapheme':
      return segmentCuts(graphemeReader(), locale);
    case 'sentence':
      return segmentCuts(sentenceReader(), locale);
    case 'word':
      return segmentCuts(wordReader(), locale);
    case 'line':
      return lineCuts();
    default:
      throw new RangeError(
        `createUnitSplitter: by must be 'word', 'line', 'sentence', 'grapheme' or a RegExp, got ${String(by)}`,
      );
  }
}

/**
 * Creates a {@link UnitSplitter} that cuts text into units of kind `by` as it arrives.
 *
 * `push` returns the units that are complete, each as its own string, and holds the rest (see
 * {@link TextUnit} for when a unit is complete). The cuts are those of one pass over the whole
 * text, however it is cut into pieces: a unit is returned only once no text to come could move
 * its end, and {@link UnitSplitter.end} decides what was still open. A surrogate pair is never
 * cut, even when its two halves arrive in different pushes.
 *
 * The work is bounded. `Intl.Segmenter` is handed about a kilobyte at a time, from a restart
 * point on: on Node 20 one call costs its input length times its number of segments, so one
 * call over 400 kB of short sentences took 13 to 23 s. Restart points come at every final
 * boundary, and inside a unit between two letters (word and sentence mode) or inside a ZWJ
 * sequence (grapheme mode), so a push costs time linear in its length plus the text since the
 * last restart point. That text outgrows a window only within one long unit with no such point
 * inside, or after a sentence end that waits for a letter: it is then read whole, which stays
 * linear since it has one or two segments, and pushes that only add marks, spaces, digits or
 * terminators to it are not read until something else comes; any other push reads it again,
 * which `maxHeld` bounds. A run of Chinese, Japanese or Thai over 2 KiB with no punctuation or
 * space is read in pieces of about a kilobyte, as if deltas had ended there, so its cuts may
 * differ from one pass (splitting it whole costs its length squared on Node 20).
 *
 * With a `RegExp`, a unit ends at the end of each match (a copy of the regexp with the `g` flag
 * is used; its other flags are kept), found in the held text and the new text as if they were
 * all the text: a match ending where the new text ends cuts at once, even if more text would
 * have made it longer. A match that is empty never cuts, so a regexp that can match the empty
 * string, like `/\s?/` or `/(?:)/`, is safe (it cuts at its non-empty matches only). The held
 * text is matched again on every push, since a match may start anywhere in it and look
 * arbitrarily far ahead: a push costs time linear in the held text plus the new text.
 *
 * `locale` is passed to `Intl.Segmenter`. Held text longer than `maxHeld` UTF-16 units (default
 * {@link DEFAULT_MAX_HELD}) after a push is given up as it is (see {@link UnitSplitter.flush}), so
 * the held text, and the work a push may repeat, stay bounded; within one push, a unit of any
 * length comes out whole.
 *
 * @throws RangeError when `by` is not a known unit, or `locale` is not a valid language tag.
 *
 * @example
 * ```ts
 * const splitter = createUnitSplitter('grapheme');
 * splitter.push('👩\u200d'); // [] (a ZWJ sequence may go on)
 * splitter.push('👩\u200d👧!'); // ['👩‍👩‍👧']
 * splitter.end(); // ['!']
 * ```
 */
export function createUnitSplitter(
  by: TextUnit,
  locale?: string,
  maxHeld: number = DEFAULT_MAX_HELD,
): UnitSplitter {
  if (!(maxHeld >= 1))
    throw new RangeError(`createUnitSplitter: maxHeld must be >= 1, got ${maxHeld}`);
  return splitterOver(cutEngine(by, locale), maxHeld);
}

/**
 * The {@link UnitSplitter} around a {@link CutEngine}: keeps the held text, cuts units off it where
 * the engine says, and gives it up past `maxHeld`.
 */
export function splitterOver(engine: CutEngine, maxHeld: number): UnitSplitter {
  // The held text, where it starts in the stream, and the length of the stream so far. The held
  // text grows by concatenation, which V8 defers, so a long unit in tiny pieces is not copied on
  // every push: only cutting units off it flattens it.
  let held = '';
  let heldAt = 0;
  let total = 0;

  const cut = (cuts: number[], units: string[]) => {
    const text = held;
    let start = 0;
    for (const offset of cuts) {
      const at = offset - heldAt;
      if (at <= start || at > text.length) continue;
      units.push(text.slice(start, at));
      start = at;
    }
    if (start > 0) {
      held = text.slice(start);
      heldAt += start;
    }
  };

  const giveUp = (keepHalfPair: boolean): string => {
    const keep = keepHalfPair && endsInHighSurrogate(held) ? 1 : 0;
    const given = held.slice(0, held.length - keep);
    held = held.slice(held.length - keep);
    heldAt = total - keep;
    engine.restart(heldAt, held);
    return given;
  };

  return {
    push(text) {
      if (text === '') return [];
      held += text;
      total += text.length;
      const units: string[] = [];
      cut(engine.push(text), units);
      // A unit that never completes (a regexp that never matches, a base64 blob in word mode)
      // must not grow without bound, nor be read again at ever greater cost: past maxHeld, the
      // held text goes out as it is, keeping only half a surrogate pair back.
      if (held.length > maxHeld) units.push(giveUp(true));
      return units;
    },
    pending: () => held,
    end() {
      const units: string[] = [];
      cut(engine.end(), units);
      const rest = giveUp(false);
      if (rest !== '') units.push(rest);
      return units;
    },
    flush: (keepHalfPair = false) => giveUp(keepHalfPair),
  };
}
