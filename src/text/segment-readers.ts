/**
 * The three Intl.Segmenter modes, as {@link WindowReader}s. Each says which boundaries of a
 * window are final (no text beyond the window can move or remove them) and where the next window
 * may start, from the Unicode rules the segmenter implements (UAX #29, plus ICU's dictionaries):
 * a boundary's fate is decided by text within a known reach of it, so whatever is decided inside
 * a window is what one pass over the whole text decides. Character classes are Unicode property
 * escapes, supersets or subsets of the rules' classes as each use needs (noted where used), so
 * that a tailoring or a newer Unicode version can only make a reader wait longer, never cut wrong.
 */
import { CodePointSet, codePointBefore, isHighSurrogate } from './code-points';
import type { WindowReader, WindowReading } from './segment-cuts';

/**
 * The start of the last code point of `text` in `set` at or after `floor`, or -1: read backward,
 * so finding one near the end (the usual case) costs a step or two.
 */
function lastIn(set: CodePointSet, text: string, floor: number): number {
  for (let at = text.length; at > floor;) {
    at = codePointBefore(text, at);
    if (at >= floor && set.has(text, at)) return at;
  }
  return -1;
}

/**
 * The last offset in `(from, to)` that `isRestart` accepts, or `from`: read backward from `to`,
 * so a restart point in the last word (the usual case) is found in a few steps.
 */
function lastRestart(
  text: string,
  from: number,
  to: number,
  isRestart: (text: string, at: number) => boolean,
): number {
  for (let at = to; at > from;) {
    at = codePointBefore(text, at);
    if (at > from && isRestart(text, at)) return at;
  }
  return from;
}

/** Code points a grapheme cluster ends before and after (GB4, GB5), a superset. */
const CONTROL_LIKE = new CodePointSet(/(?![\u200c\u200d])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u);
/** Text made only of code points that extend the cluster before them (GB9). */
const ONLY_EXTENDERS = /^[\p{Grapheme_Extend}\u200d]+$/u;

const PICTOGRAPHIC = new CodePointSet(/\p{Extended_Pictographic}/u);

/**
 * Whether a cluster may be read from `at` on as if the text began there: at a pictograph joined
 * to the one before it by a ZWJ (GB11), inside a ZWJ sequence. The rules that decide boundaries
 * after `at` look back over marks, joiners, linkers (GB9c) or regional indicators at most, and
 * stop at a pictograph.
 */
const isGraphemeRestart = (text: string, at: number) =>
  text.charCodeAt(at - 1) === 0x200d && PICTOGRAPHIC.has(text, at);

/**
 * Grapheme clusters. The rules (GB3-GB999) decide a boundary from the code points before it and
 * the one code point after it, and windows end between code points: every boundary inside a
 * window is final, and each one is a restart point (a boundary's fate depends on nothing before
 * the previous boundary), as is a pictograph inside a ZWJ sequence. A single cluster longer than
 * a window (a letter with thousands of combining marks) is read whole, growing the window: it
 * has one segment, so it stays cheap.
 */
export function graphemeReader(): WindowReader {
  return {
    granularity: 'grapheme',
    read(segments, window, atEnd, _whole, budget) {
      const cuts: number[] = [];
      for (const { index } of segments) {
        if (index === 0) continue;
        cuts.push(index);
        if (cuts.length >= budget) return { cuts, restart: index, more: true };
      }
      const last = cuts[cuts.length - 1] ?? 0;
      const restart = atEnd ? last : lastRestart(window, last, window.length, isGraphemeRestart);
      return { cuts, restart, more: false };
    },
    // Marks and joiners never start a cluster (GB9) unless they follow a control (GB4): a letter
    // buried under combining marks, streamed a few at a time, is not read again for each piece.
    idle: (text, previous) =>
      previous !== '' &&
      !CONTROL_LIKE.has(previous, codePointBefore(previous, previous.length)) &&
      !isHighSurrogate(previous.charCodeAt(previous.length - 1)) &&
      ONLY_EXTENDERS.test(text),
    reset() {},
  };
}

/**
 * Code points that certainly end the lookahead of rule SB8 (`ATerm Close* Sp* × (¬(OLetter |
 * Upper | Lower | ParaSep | SATerm))* Lower`, the only sentence rule that looks past the code
 * point after a boundary): letters (Upper, Lower or OLetter; a letter that is Extend, like a
 * halfwidth sound mark, is skipped over instead), sentence terminators and paragraph separators.
 */
const SETTLES_SENTENCE = new CodePointSet(
  /(?!\p{Grapheme_Extend})[\p{L}\p{Sentence_Terminal}.\u2024\uFE52\uFF0E\n\r\u0085\u2028\u2029]/u,
);

/**
 * Code points that are never part of a sentence ending (a terminator, closing punctuation, spaces,
 * a separator, or marks and format characters that extend those): letters, digits and emoji.
 */
const SENTENCE_INNER = new CodePointSet(
  /(?![\p{Grapheme_Extend}\p{Emoji_Modifier}])[\p{L}\p{Nd}\p{Emoji_Presentation}]/u,
);

/**
 * Whether a sentence may be read from `at` on as if the text began there: after a letter, digit or
 * emoji and before another or a space. Every rule that decides a boundary after `at` then looks
 * back only over the sentence ending just before that boundary (terminator, closing punctuation,
 * spaces: SB6-SB11) or one code point, none of which can reach back across `at`; and `at` itself
 * is no boundary.
 */
const isSentenceRestart = (text: string, at: number) =>
  SENTENCE_INNER.has(text, codePointBefore(text, at)) &&
  (text.charCodeAt(at) === 0x20 || SENTENCE_INNER.has(text, at));

const ONLY_SPACES = /^ +$/;
const ONLY_DIGITS_AND_SPACES = /^[0-9 ]+$/;
const ENDS_IN_TERMINATOR = /[.!?]$/;
const ONLY_TERMINATORS = /^[.!?]+$/;

/**
 * Sentences. A boundary is final once a code point that settles SB8 follows it inside the window
 * (the other rules look one code point ahead); until then, a lowercase letter to come could still
 * join the two sentences ("e.g. 3 more"), so it and everything after it wait. Restart points are
 * the boundaries, and inside a sentence the points {@link isSentenceRestart} accepts, so a long
 * sentence arriving in small pieces is not read again from its start on every piece.
 */
export function sentenceReader(): WindowReader {
  // Whether the last reading stopped at a boundary that waits for SB8's lookahead.
  let undecided = false;
  return {
    granularity: 'sentence',
    read(segments, window, atEnd, _whole, budget) {
      const settled = atEnd ? window.length : lastIn(SETTLES_SENTENCE, window, 0);
      const cuts: number[] = [];
      let open = window.length;
      for (const { index } of segments) {
        if (index === 0) continue;
        if (index > settled) {
          open = index;
          break;
        }
        cuts.push(index);
        if (cuts.length >= budget) return { cuts, restart: index, more: true };
      }
      const last = cuts[cuts.length - 1] ?? 0;
      undecided = open < window.length;
      const restart = atEnd ? last : lastRestart(window, last, open, isSentenceRestart);
      return { cuts, restart, more: false };
    },
    // Spaces after spaces make no boundary (SB9, SB10, SB998); digits and spaces neither end a
    // sentence nor settle one whose end waits for SB8's lookahead ("e.g. 1 2 3 ...").
    // Neither do terminators after a terminator (SB8a), when no boundary waits to be settled
    // (terminators settle it).
    idle: (text, previous) =>
      (previous.endsWith(' ') && ONLY_SPACES.test(text)) ||
      (undecided && ONLY_DIGITS_AND_SPACES.test(text)) ||
      (!undecided && ENDS_IN_TERMINATOR.test(previous) && ONLY_TERMINATORS.test(text)),
    reset() {
      undecided = false;
    },
  };
}

/**
 * What ICU splits into words with a dictionary, a superset: its sets are made by script (not
 * script extensions, so CJK punctuation such as 。 and ， ends a run, and so does a combining
 * accent): Han, Hiragana, Katakana with the kana marks and prolonged sound marks ICU adds, and
 * Thai, Lao, Khmer, Myanmar and the other scripts of line break class SA. The split of a run can
 * change with any code point added to it ("研究生命" is 研究|生命, "研究生命令" is 研究生|命令), so
 * boundaries inside a run are final only once the run has ended.
 */
const DICTIONARY_CLASS = [
  '[\\p{sc=Han}\\p{sc=Hira}\\p{sc=Kana}',
  '\\u3031-\\u3035\\u309B\\u309C\\u30A0\\u30FC\\uFF70\\uFF9E\\uFF9F',
  '\\p{sc=Thai}\\p{sc=Lao}\\p{sc=Khmr}\\p{sc=Mymr}',
  '\\p{sc=Tale}\\p{sc=Talu}\\p{sc=Lana}\\p{sc=Tavt}\\p{sc=Ahom}]',
].join('');
const DICTIONARY = new CodePointSet(new RegExp(DICTIONARY_CLASS, 'u'));
const ALL_DICTIONARY = new RegExp(`^${DICTIONARY_CLASS}*$`, 'u');

/** What the word rules skip over (WB4: Extend, Format, ZWJ), a superset. */
const IGNORED_BY_WORDS = new CodePointSet(/[\p{Grapheme_Extend}\p{Mc}\p{Cf}\p{Emoji_Modifier}]/u);

/**
 * Code points that may join the words on both sides of them, a superset of WB6, WB7b and WB12's
 * MidLetter, MidNum, MidNumLet and quotes (`can't`, `3.14`): a boundary before one depends on the
 * code point after it.
 */
const JOINS_AHEAD = new CodePointSet(/[\p{P}\p{S}]/u);

/**
 * Code points that make the segment they start a word: letters and digits. Intl.Segmenter's own
 * `isWordLike` depends on how the segment ends (`a_` is word-like, `a_\u0301` is not), so for a
 * segment the window cuts short it is unknown until the segment ends; a first code point is known
 * at once. Segments that start otherwise (`_a`, `Ⓐ`) are words when Intl.Segmenter says so.
 */
const STARTS_WORD = new CodePointSet(/[\p{L}\p{Nd}\p{Nl}]/u);

/**
 * Letters, digits and underscores that never break apart from each other (WB5, WB8-WB10, WB13a,
 * WB13b): checked against ICU for these scripts; others are left out (ICU splits Hangul from
 * Latin, for instance).
 */
const WORD_INNER = new CodePointSet(
  /(?!\p{Grapheme_Extend})[\p{sc=Latin}\p{sc=Greek}\p{sc=Cyrillic}0-9_]/u,
);

/** Whether `at` is inside a word, between two code points that never break apart. */
const isWordRestart = (text: string, at: number) =>
  WORD_INNER.has(text, codePointBefore(text, at)) && WORD_INNER.has(text, at);

/** Whether `at` is between two dictionary code points, inside a run of them. */
const insideDictionaryRun = (text: string, at: number) =>
  DICTIONARY.has(text, codePointBefore(text, at)) && DICTIONARY.has(text, at);

/**
 * A dictionary run longer than this (UTF-16 units) is read in pieces, and boundaries more than
 * {@link RUN_MARGIN} before a piece's end are taken as final, as if a delta had ended there:
 * splitting a run exactly takes reading it whole, and on Node 20 a run read whole costs the
 * square of its length. Real text has punctuation or spaces far more often than this.
 */
export const RUN_CAP = 2048;
const RUN_MARGIN = 64;

/** The starts of the last two code points of `text` that the word rules do not skip (or -1). */
function lastTwoBases(text: string): [number, number] {
  let last = -1;
  for (let at = text.length; at > 0;) {
    at = codePointBefore(text, at);
    if (IGNORED_BY_WORDS.has(text, at)) continue;
    if (last >= 0) return [last, at];
    last = at;
  }
  return [last, -1];
}

/** The start of the run of dictionary code points that ends `text` (its length if none). */
function trailingRun(text: string): number {
  let run = text.length;
  while (run > 0 && DICTIONARY.has(text, codePointBefore(text, run))) {
    run = codePointBefore(text, run);
  }
  return run;
}

/**
 * Words. A unit starts at a word: a segment that starts with a letter or digit, or that
 * Intl.Segmenter calls word-like; the first word keeps any text before it, and the spaces and
 * punctuation after a word stay with it.
 *
 * A boundary is final once the code point after it is in the window, and the one after that too
 * when the first is punctuation or a symbol (the only rules that look further, WB6/WB7b/WB12,
 * look exactly that far, skipping marks); inside a run of dictionary script it must also wait for
 * the run to end. Whether a segment is a word is decided at its first code point, or else once
 * its end is final. Restart points are final boundaries outside dictionary runs (ICU splits a run
 * as a whole, from its start), and inside a decided word the points {@link isWordRestart}
 * accepts.
 */
export function wordReader(): WindowReader {
  // Whether a word began since the stream (or the last give-up) began.
  let sawWord = false;
  // The start of the last segment decided to be a word or not (a context offset; -1 when the
  // segment at the context's start is still undecided).
  let decided = -1;
  // Whether the window starts inside a dictionary run that is being read in pieces.
  let insideRun = false;
  // Where a dictionary run started that alone kept the last reading from going on (a context
  // offset), or -1.
  let waitingRun = -1;

  return {
    granularity: 'word',
    read(segments, window, atEnd, whole, budget): WindowReading {
      waitingRun = -1;
      const end = window.length;
      const [base1, base2] = lastTwoBases(window);
      const lookedAhead = (at: number) =>
        at <= base2 || (at <= base1 && !JOINS_AHEAD.has(window, base1));
      const run = atEnd ? end : trailingRun(window);
      const pieces = !atEnd && (end - run > RUN_CAP || (insideRun && run === 0));

      const cuts: number[] = [];
      const decide = (at: number, word: boolean) => {
        if (word && sawWord) cuts.push(at);
        sawWord ||= word;
        decided = at;
      };
      // A segment whose start is final but whose being a word waits for its end.
      let pending = -1;
      let pendingWord = false;
      let restart = 0;
      let stop = end;
      let count = 0;
      for (const { index, isWordLike = false } of segments) {
        if (index > 0 && !atEnd) {
          const inRun = index > run;
          if (!lookedAhead(index) || (inRun && !(pieces && index <= end - RUN_MARGIN))) {
            stop = index;
            if (inRun && !pieces && whole) waitingRun = run;
            break;
          }
        }
        // `index` is a final boundary, so the segment before it has its final extent.
        if (pending >= 0) decide(pending, pendingWord);
        pending = -1;
        if (index > decided) {
          if (STARTS_WORD.has(window, index)) decide(index, true);
          else [pending, pendingWord] = [index, isWordLike];
        }
        if (index > 0 && (!insideDictionaryRun(window, index) || (pieces && index > run))) {
          restart = index;
          insideRun = pieces && index > run;
          if (++count >= budget) break;
        }
      }
      // At the end of the text, the last segment is whole.
      if (atEnd && pending >= 0) decide(pending, pendingWord);
      const more = count >= budget;
      let next = restart;
      if (!atEnd && !more && pending < 0) {
        const inner = lastRestart(window, restart, stop, isWordRestart);
        if (inner > restart) {
          next = inner;
          insideRun = false;
        }
      }
      // Offsets are kept relative to where the next window starts; one inside a decided segment
      // starts a decided segment.
      decided = Math.max(decided - next, next > restart ? 0 : -1);
      if (waitingRun >= 0) waitingRun -= next;
      return { cuts, restart: next, more };
    },
    // A dictionary run that goes on decides nothing (see above); nor do spaces after spaces
    // (WB3d), the only segment they can grow.
    idle: (text, previous, length) =>
      (waitingRun >= 0 && length - waitingRun <= RUN_CAP && ALL_DICTIONARY.test(text)) ||
      (previous.endsWith(' ') && ONLY_SPACES.test(text)),
    reset() {
      sawWord = false;
      decided = -1;
      insideRun = false;
      waitingRun = -1;
    },
  };
}
