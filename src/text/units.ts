/**
 * The units streamed text is cut into:
 *
 * - `'grapheme'`: user-perceived characters (`Intl.Segmenter` grapheme granularity), so an emoji
 *   ZWJ sequence, a flag or a letter with combining marks is never cut apart.
 * - `'word'`: a word (`Intl.Segmenter` word granularity, which also finds words in Chinese or
 *   Japanese without spaces) together with the spaces and punctuation after it.
 * - `'sentence'`: a sentence (`Intl.Segmenter` sentence granularity), with its trailing spaces.
 * - `'line'`: a line including its `'\n'` (so `'\r\n'` stays together).
 * - a `RegExp`: text up to the end of each match, for instance `/[.!?]\s/` or `/\n\n/`.
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
 * still grow. Everything returned by {@link UnitSplitter.push} plus the final
 * {@link UnitSplitter.flush} concatenates to exactly the text pushed: nothing is lost, reordered or
 * repeated, and no returned unit is empty.
 *
 * @example
 * ```ts
 * const splitter = createUnitSplitter('word');
 * splitter.push('Hello wo'); // ['Hello ']
 * splitter.pending(); // 'wo'
 * splitter.push('rld!'); // []
 * splitter.flush(); // 'world!'
 * ```
 */
export interface UnitSplitter {
  /** Adds `text` and returns the units that are now complete, in order. */
  push(text: string): string[];
  /** The held incomplete tail. */
  pending(): string;
  /**
   * Returns the held tail and clears it: for when no more text will come, or (with
   * `keepHalfPair`) to give up waiting, in which case a trailing high surrogate stays held so
   * that half an emoji is never emitted on its own.
   */
  flush(keepHalfPair?: boolean): string;
}

/**
 * Where a mode cuts `buffer` (the held text followed by the new `text`): increasing offsets; the
 * text after the last one is held.
 */
type CutFinder = (buffer: string, text: string) => number[];

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * Whether `buffer` may be cut before `offset` without splitting a surrogate pair: neither one
 * that is there, nor one whose low half is still to come (a high surrogate ending the buffer).
 * Cutting at 0 would only make an empty unit.
 */
function canCut(buffer: string, offset: number): boolean {
  if (offset <= 0 || offset > buffer.length) return false;
  if (!isHighSurrogate(buffer.charCodeAt(offset - 1))) return true;
  return offset < buffer.length && !isLowSurrogate(buffer.charCodeAt(offset));
}

function segmenterCuts(
  granularity: 'grapheme' | 'sentence',
  locale: string | undefined,
): CutFinder {
  const segmenter = new Intl.Segmenter(locale, { granularity });
  // Every segment but the last is complete: only the last can still be extended (by combining
  // marks, a ZWJ and the next emoji, a low surrogate, or the rest of a sentence), and a boundary
  // before a segment depends on the text before it only.
  return (buffer) => {
    const cuts: number[] = [];
    for (const { index } of segmenter.segment(buffer)) if (index > 0) cuts.push(index);
    return cuts;
  };
}

function wordCuts(locale: string | undefined): CutFinder {
  const segmenter = new Intl.Segmenter(locale, { granularity: 'word' });
  // A unit starts at a word-like segment, so the spaces and punctuation after a word stay with
  // it; the first word keeps any text before it, so no unit is only punctuation. A unit is
  // complete once the next word has begun: until then more letters, or more spaces, may come.
  return (buffer) => {
    const cuts: number[] = [];
    let sawWord = false;
    for (const { index, isWordLike } of segmenter.segment(buffer)) {
      if (!isWordLike) continue;
      if (sawWord) cuts.push(index);
      sawWord = true;
    }
    return cuts;
  };
}

// The held text never holds a '\n', so only the new text needs a look: reading the buffer
// would flatten it, and a long line streamed in tiny pieces would cost quadratic time.
const lineCuts: CutFinder = (buffer, text) => {
  const cuts: number[] = [];
  const offset = buffer.length - text.length;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
    cuts.push(offset + at + 1);
  }
  return cuts;
};

function regexpCuts(pattern: RegExp): CutFinder {
  // A private copy: the caller's lastIndex is left alone and subscriptions never share state.
  const regexp = new RegExp(
    pattern.source,
    pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
  );
  return (buffer) => {
    const cuts: number[] = [];
    let previous = 0;
    regexp.lastIndex = 0;
    for (let match = regexp.exec(buffer); match !== null; match = regexp.exec(buffer)) {
      const end = match.index + match[0].length;
      if (match[0].length > 0 && end > previous && canCut(buffer, end)) {
        cuts.push(end);
        previous = end;
      }
      if (match[0].length === 0) {
        // An empty match leaves lastIndex where it was, and exec would find it again forever.
        // Step over a whole code point, so a unicode regexp never starts inside a pair.
        const at = match.index;
        const pair =
          isHighSurrogate(buffer.charCodeAt(at)) && isLowSurrogate(buffer.charCodeAt(at + 1));
        regexp.lastIndex = at + (pair ? 2 : 1);
        if (regexp.lastIndex > buffer.length) break;
      }
    }
    return cuts;
  };
}

/**
 * Hides a high surrogate that ends the buffer from a finder: it is half a code point, and the
 * whole one (a combining mark, say) may belong to the unit before it.
 */
function completeCodePoints(find: CutFinder): CutFinder {
  return (buffer, text) =>
    isHighSurrogate(buffer.charCodeAt(buffer.length - 1))
      ? find(buffer.slice(0, -1), text.slice(0, -1))
      : find(buffer, text);
}

function cutFinder(by: TextUnit, locale: string | undefined): CutFinder {
  if (by instanceof RegExp) return completeCodePoints(regexpCuts(by));
  switch (by) {
    case 'grapheme':
    case 'sentence':
      return completeCodePoints(segmenterCuts(by, locale));
    case 'word':
      return completeCodePoints(wordCuts(locale));
    case 'line':
      return lineCuts;
    default:
      throw new RangeError(
        `createUnitSplitter: by must be 'word', 'line', 'sentence', 'grapheme' or a RegExp, got ${String(by)}`,
      );
  }
}

/** How much incomplete text a splitter holds before it gives it up as it is (UTF-16 units). */
export const DEFAULT_MAX_HELD = 4096;

/** Whether text ends in the first half of a surrogate pair (its second half is still to come). */
export function endsInHighSurrogate(text: string): boolean {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff;
}

/**
 * Creates a {@link UnitSplitter} that cuts text into units of kind `by` as it arrives.
 *
 * `push` returns the units that are complete, each as its own string, and holds the last,
 * possibly incomplete one (see {@link TextUnit} for when a unit is complete). Only the held tail
 * and the new text are looked at again on each push, never text already returned, so splitting a
 * stream costs time linear in its length as long as units stay short. A surrogate pair is never
 * cut, even when its two halves arrive in different pushes.
 *
 * With a `RegExp`, a unit ends at the end of each match (a copy of the regexp with the `g` flag
 * is used; its other flags are kept). A match that is empty never cuts, so a regexp that can
 * match the empty string, like `/\s?/` or `/(?:)/`, is safe (it cuts at its non-empty matches
 * only). `locale` is passed to `Intl.Segmenter`. An incomplete unit longer than `maxHeld` UTF-16
 * units (default {@link DEFAULT_MAX_HELD}) is given up as it is, so the held text stays bounded.
 *
 * @throws RangeError when `by` is not a known unit, or `locale` is not a valid language tag.
 *
 * @example
 * ```ts
 * const splitter = createUnitSplitter('grapheme');
 * splitter.push('👩\u200d'); // [] (a ZWJ sequence may go on)
 * splitter.push('👩\u200d👧!'); // ['👩‍👩‍👧']
 * splitter.flush(); // '!'
 * ```
 */
export function createUnitSplitter(
  by: TextUnit,
  locale?: string,
  maxHeld: number = DEFAULT_MAX_HELD,
): UnitSplitter {
  if (!(maxHeld >= 1))
    throw new RangeError(`createUnitSplitter: maxHeld must be >= 1, got ${maxHeld}`);
  const findCuts = cutFinder(by, locale);
  let held = '';
  // In grapheme and word mode a huge delta is read in windows, as if it had come in smaller
  // pieces: Intl.Segmenter makes an object per segment, and one pass over a megabyte would hold
  // a million of them at once. These two modes cut any split of a text alike (property-tested);
  // sentences (few segments) and regexps and lines (no segmenter) are read whole, because their
  // cuts can depend on text far ahead.
  const window = by === 'grapheme' || by === 'word' ? Math.max(1024, maxHeld) : Infinity;
  const push = (text: string): string[] => {
    if (text.length <= window) return pushPiece(text);
    const units: string[] = [];
    for (let at = 0; at < text.length;) {
      let end = Math.min(at + window, text.length);
      if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end++;
      for (const unit of pushPiece(text.slice(at, end))) units.push(unit);
      at = end;
    }
    return units;
  };
  const pushPiece = (text: string): string[] => {
    if (text === '') return [];
    const buffer = held + text;
    const units: string[] = [];
    let start = 0;
    for (const cut of findCuts(buffer, text)) {
      // Guards every mode, not only regexps: a lone high surrogate at the end may be half of
      // a pair whose other half is in the next push.
      if (cut <= start || !canCut(buffer, cut)) continue;
      units.push(buffer.slice(start, cut));
      start = cut;
    }
    held = start === 0 ? buffer : buffer.slice(start);
    // A unit that never completes (a regexp that never matches, a base64 blob in word mode)
    // must not grow without bound, nor be segmented again at ever greater cost: past maxHeld,
    // the held text goes out as it is, keeping only half a surrogate pair back.
    if (held.length > maxHeld) {
      const keep = endsInHighSurrogate(held) ? 1 : 0;
      units.push(held.slice(0, held.length - keep));
      held = held.slice(held.length - keep);
    }
    return units;
  };
  return {
    push,
    pending: () => held,
    flush(keepHalfPair = false) {
      const keep = keepHalfPair && endsInHighSurrogate(held) ? 1 : 0;
      const tail = held.slice(0, held.length - keep);
      held = held.slice(held.length - keep);
      return tail;
    },
  };
}
