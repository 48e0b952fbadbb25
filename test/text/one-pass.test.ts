import fc from 'fast-check';
import { createUnitSplitter, splitterOver } from '../../src/text/units';
import { segmentCuts, type WindowReader } from '../../src/text/segment-cuts';
import { graphemeReader, sentenceReader, wordReader } from '../../src/text/segment-readers';

type SegmenterMode = 'grapheme' | 'word' | 'sentence';

/**
 * The units of one pass over the whole text, computed independently of the splitter: one
 * Intl.Segmenter call, then the mode's rule. Words start at segments Intl.Segmenter calls
 * word-like or that start with a letter or digit; the first keeps the text before it.
 */
function onePass(by: SegmenterMode | 'line', text: string, locale?: string): string[] {
  const cuts: number[] = [];
  if (by === 'line') {
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) cuts.push(at + 1);
  } else {
    let sawWord = false;
    for (const { index, segment, isWordLike } of new Intl.Segmenter(locale, {
      granularity: by,
    }).segment(text)) {
      if (by !== 'word') {
        if (index > 0) cuts.push(index);
      } else if (isWordLike || /^[\p{L}\p{Nd}\p{Nl}]/u.test(segment)) {
        if (sawWord) cuts.push(index);
        sawWord = true;
      }
    }
  }
  const units: string[] = [];
  let start = 0;
  for (const cut of cuts) {
    if (cut >= text.length) continue;
    units.push(text.slice(start, cut));
    start = cut;
  }
  if (start < text.length) units.push(text.slice(start));
  return units;
}

/** Cuts `text` into pieces at `offsets` (taken modulo its length, so any may fall in a pair). */
function cutAt(text: string, offsets: number[]): string[] {
  const points = [...new Set(offsets.map((offset) => offset % (text.length + 1)))].sort(
    (a, b) => a - b,
  );
  return [0, ...points].map((from, i) => text.slice(from, [...points, text.length][i]));
}

/** Everything a splitter gives for `pieces`: every push, then the end. */
function stream(splitter: ReturnType<typeof createUnitSplitter>, pieces: string[]): string[] {
  const units = pieces.flatMap((piece) => splitter.push(piece));
  return [...units, ...splitter.end()];
}

const readers: Record<SegmenterMode, () => WindowReader> = {
  grapheme: graphemeReader,
  word: wordReader,
  sentence: sentenceReader,
};

/**
 * Pieces of text that make segmentation hard: CJK words and punctuation (a dictionary splits
 * 研究生命 and 研究生命令 differently), emoji ZWJ sequences, flags, skin tones, combining marks,
 * an Indic conjunct, sentence ends with quotes, parentheses and abbreviations, numbers, spaces,
 * line and paragraph breaks, and lone surrogates. (ICU splits a kana run that begins with the
 * prolonged sound mark ー depending on text far before it, so ー only follows a kana here.)
 */
const TRICKY = [
  'a',
  'b',
  'Z',
  'e.g. ',
  'Mr. ',
  'U.S. ',
  '3.14',
  '1 2 ',
  '7',
  ' ',
  '   ',
  '\u00a0',
  '.',
  '!',
  '?',
  '!!',
  '…',
  ',',
  ';',
  ':',
  '-',
  '_',
  '__',
  "'",
  '’',
  '"',
  '“',
  '”',
  '«',
  '»',
  '(',
  ')',
  '[',
  '(see above.) ',
  '"Hi!" she said. ',
  "don't ",
  '\n',
  '\r\n',
  '\r',
  '\u2029',
  '你',
  '好',
  '世界',
  '研究',
  '生命',
  '令',
  '今天',
  '。',
  '，',
  '「',
  '」',
  '、',
  'ア',
  'アー',
  'ひ',
  '々',
  'ก',
  'า',
  'ภาษา',
  '가',
  'α',
  'ж',
  '\u05d0',
  '👩',
  '\u200d',
  '👩\u200d💻',
  '👩\u200d👩\u200d👧 ',
  '🇺',
  '🇸',
  '🏽',
  '\ufe0f',
  '\u0301',
  '\u0301\u0301',
  'क',
  '\u094d',
  'ष',
  '\u093f',
  '\u200b',
  '²',
  '\ud83d',
  '\ude00',
];
const trickyText = (maxLength: number) =>
  fc.array(fc.constantFrom(...TRICKY), { maxLength }).map((pieces) => pieces.join(''));
const anyText = fc.oneof(
  trickyText(40),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const offsets = fc.array(fc.nat(), { maxLength: 12 });
const locales = fc.constantFrom(undefined, 'en', 'ja', 'el');

describe('units cut in pieces, as one pass over the whole text cuts them', () => {
  it('in every mode, however the text is cut into deltas', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SegmenterMode | 'line'>('grapheme', 'word', 'sentence', 'line'),
        anyText,
        offsets,
        locales,
        (by, text, cuts, locale) => {
          const splitter = createUnitSplitter(by, locale, Infinity);
          expect(stream(splitter, cutAt(text, cuts))).toEqual(onePass(by, text, locale));
        },
      ),
      { numRuns: 800 },
    );
  });

  it('with windows of a few characters, which must grow, restart and stop early', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SegmenterMode>('grapheme', 'word', 'sentence'),
        anyText,
        offsets,
        locales,
        fc.constantFrom(1, 2, 3, 5, 8, 32),
        fc.constantFrom(1, 2, 3, 1e9),
        (by, text, cuts, locale, window, budget) => {
          const engine = segmentCuts(readers[by](), locale, { window, budget: () => budget });
          const splitter = splitterOver(engine, Infinity);
          expect(stream(splitter, cutAt(text, cuts))).toEqual(onePass(by, text, locale));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('over kilobytes, in one delta and in many', () => {
    const long = fc
      .array(trickyText(12), { minLength: 50, maxLength: 120 })
      .map((parts) => parts.join(' '));
    fc.assert(
      fc.property(
        fc.constantFrom<SegmenterMode>('grapheme', 'word', 'sentence'),
        long,
        fc.array(fc.nat(), { maxLength: 40 }),
        (by, text, cuts) => {
          const expected = onePass(by, text);
          expect(stream(createUnitSplitter(by, undefined, Infinity), [text])).toEqual(expected);
          expect(stream(createUnitSplitter(by, undefined, Infinity), cutAt(text, cuts))).toEqual(
            expected,
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('decides at the end what waited for text that never came', () => {
    const sentences = createUnitSplitter('sentence');
    // "e.g. 1" may yet be followed by a lowercase word, which would join the two (SB8).
    expect(sentences.push('It is e.g. 1 2')).toEqual([]);
    expect(sentences.end()).toEqual(['It is e.g. ', '1 2']);
    const words = createUnitSplitter('word');
    // 研究生命 is 研究|生命, but 研究生命令 is 研究生|命令: a run is split once it has ended.
    expect(words.push('Read 研究生命')).toEqual(['Read ']);
    expect(words.push('令')).toEqual([]);
    expect(words.push('. Done')).toEqual(['研究生', '命令. ']);
    expect(words.end()).toEqual(['Done']);
  });

  it('gives up held text as it is past maxHeld, then cuts what follows afresh', () => {
    const splitter = createUnitSplitter('sentence', undefined, 20);
    expect(splitter.push('This sentence has no end yet and')).toEqual([
      'This sentence has no end yet and',
    ]);
    expect(splitter.push(' goes on. Next')).toEqual([' goes on. ']);
    expect(splitter.flush()).toBe('Next');
    expect(splitter.push('. Again.')).toEqual(['. ']);
    expect(splitter.end()).toEqual(['Again.']);
  });

  it('matches a regexp in the held text and the new text on each push, as before', () => {
    /** The documented rule, written out: matches in the held text plus the new text. */
    function reference(pattern: RegExp, pieces: string[]): string[] {
      const regexp = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
      const units: string[] = [];
      let held = '';
      for (const piece of pieces) {
        held += piece;
        const complete = /[\ud800-\udbff]$/.test(piece) ? held.slice(0, -1) : held;
        let start = 0;
        regexp.lastIndex = 0;
        for (let match = regexp.exec(complete); match; match = regexp.exec(complete)) {
          const end = match.index + match[0].length;
          const pairSplit =
            /[\ud800-\udbff]/.test(complete.charAt(end - 1)) &&
            (end === complete.length || /[\udc00-\udfff]/.test(complete.charAt(end)));
          if (match[0].length > 0 && end > start && !pairSplit) {
            units.push(complete.slice(start, end));
            start = end;
          }
          if (match[0].length === 0) {
            const pair = /^[\ud800-\udbff][\udc00-\udfff]/.test(complete.slice(match.index));
            regexp.lastIndex = match.index + (pair ? 2 : 1);
            if (regexp.lastIndex > complete.length) break;
          }
        }
        held = held.slice(start);
      }
      return held === '' ? units : [...units, held];
    }
    const patterns = [/[.!?]\s/, /\n\n/, /\n+/, /\s*/, /(?:)/u, /\p{L}+/u, /a[^]*?b/, /x(?=y)/];
    fc.assert(
      fc.property(fc.constantFrom(...patterns), anyText, offsets, (pattern, text, cuts) => {
        const pieces = cutAt(text, cuts);
        expect(stream(createUnitSplitter(pattern, undefined, Infinity), pieces)).toEqual(
          reference(pattern, pieces),
        );
      }),
      { numRuns: 600 },
    );
  });
});
