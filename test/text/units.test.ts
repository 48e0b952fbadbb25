import fc from 'fast-check';
import { createUnitSplitter, type TextUnit } from '../../src/text/units';
import { WINDOW } from '../../src/text/segment-cuts';
import { anyText, modes } from './arbitraries';

/** Pushes each piece into a fresh splitter: the units of every push, then the final flush. */
function split(by: TextUnit, pieces: string[], locale?: string) {
  const splitter = createUnitSplitter(by, locale);
  const pushed = pieces.map((piece) => splitter.push(piece));
  return { pushed, units: pushed.flat(), rest: splitter.flush() };
}

/** Pushes each piece into a fresh splitter that never gives up: every unit, to the end. */
function splitToEnd(by: TextUnit, pieces: string[]) {
  const splitter = createUnitSplitter(by, undefined, Infinity);
  return [...pieces.flatMap((piece) => splitter.push(piece)), ...splitter.end()];
}

const isHigh = (s: string, i: number) => /[\uD800-\uDBFF]/.test(s.charAt(i));
const isLow = (s: string, i: number) => /[\uDC00-\uDFFF]/.test(s.charAt(i));

/** Whether some cut between consecutive pieces falls inside a surrogate pair. */
const cutsAPair = (pieces: string[]) =>
  pieces.some(
    (piece, i) => i > 0 && isHigh(pieces[i - 1]!, pieces[i - 1]!.length - 1) && isLow(piece, 0),
  );

describe('createUnitSplitter', () => {
  it('cuts words, keeping the spaces and punctuation after each, and holds the last', () => {
    const splitter = createUnitSplitter('word');
    expect(splitter.push('  Hel')).toEqual([]);
    expect(splitter.pending()).toBe('  Hel');
    expect(splitter.push('lo, wo')).toEqual(['  Hello, ']);
    expect(splitter.push('rld! ')).toEqual([]);
    expect(splitter.push('Bye')).toEqual(['world! ']);
    expect(splitter.flush()).toBe('Bye');
    expect(splitter.pending()).toBe('');
    expect(splitter.flush()).toBe('');
  });

  it('finds Chinese words without spaces, and keeps "don\'t" and 3.14 whole', () => {
    expect(split('word', ['你好世界。今天天气很好。'])).toEqual({
      pushed: [['你好', '世界。', '今天', '天气']],
      units: ['你好', '世界。', '今天', '天气'],
      rest: '很好。',
    });
    expect(split('word', ["I don't", ' know 3', '.14 x']).units).toEqual([
      'I ',
      "don't ",
      'know ',
      '3.14 ',
    ]);
  });

  it('cuts sentences, also in Chinese', () => {
    expect(split('sentence', ['你好世界。今天天气很好。'])).toMatchObject({
      units: ['你好世界。'],
      rest: '今天天气很好。',
    });
    expect(split('sentence', ['Hello there. How', ' are you? Fine.'])).toEqual({
      pushed: [['Hello there. '], ['How are you? ']],
      units: ['Hello there. ', 'How are you? '],
      rest: 'Fine.',
    });
  });

  it('keeps emoji ZWJ sequences, flags and combining marks whole across pushes', () => {
    const { pushed, rest } = split('grapheme', [
      '👩\u200d',
      '👩\u200d',
      '👧🇺',
      '🇸e',
      '\u0301',
      'x\ud83d',
      '\ude00',
    ]);
    expect(pushed).toEqual([[], [], ['👩‍👩‍👧'], ['🇺🇸'], [], ['e\u0301'], ['x']]);
    expect(rest).toBe('😀');
  });

  it('ends lines with their \\n, so \\r\\n stays together', () => {
    expect(split('line', ['a\r', '\nb\n\nc', 'd'])).toEqual({
      pushed: [[], ['a\r\n', 'b\n', '\n'], []],
      units: ['a\r\n', 'b\n', '\n'],
      rest: 'cd',
    });
  });

  it("ends a unit at the end of each regexp match, leaving the caller's regexp alone", () => {
    const pattern = /[.!?]\s/g;
    pattern.lastIndex = 3;
    expect(split(pattern, ['One. Two', '! Three?', ' Four'])).toEqual({
      pushed: [['One. '], ['Two! '], ['Three? ']],
      units: ['One. ', 'Two! ', 'Three? '],
      rest: 'Four',
    });
    expect(split(/x/i, ['aXbxc']).units).toEqual(['aX', 'bx']);
    expect(split(/X/gi, ['aXbxc']).units).toEqual(['aX', 'bx']);
    expect(pattern.lastIndex).toBe(3);
    // Other flags are kept: a sticky regexp only matches where the last match ended.
    expect(split(/a/y, ['aab', 'a'])).toMatchObject({ units: ['a', 'a'], rest: 'ba' });
  });

  it('never hangs on a regexp that matches the empty string, and keeps all the text', () => {
    expect(split(/\s*/, ['ab cd', '  ef'])).toEqual({
      pushed: [['ab '], ['cd  ']],
      units: ['ab ', 'cd  '],
      rest: 'ef',
    });
    expect(split(/(?:)/, ['a😀b', 'c'])).toEqual({ pushed: [[], []], units: [], rest: 'a😀bc' });
    expect(split(/(?:)/u, ['😀😀'])).toEqual({ pushed: [[]], units: [], rest: '😀😀' });
    expect(split(/$|^|\b/m, ['a b\nc'])).toEqual({ pushed: [[]], units: [], rest: 'a b\nc' });
  });

  it('never cuts a surrogate pair, even with a regexp that matches half of one', () => {
    expect(split(/./, ['a😀b'])).toEqual({
      pushed: [['a', '😀', 'b']],
      units: ['a', '😀', 'b'],
      rest: '',
    });
    expect(split(/[\ud800-\udbff]/, ['a😀b\ud83d', '\ude00c']).units).toEqual([]);
    expect(split(/b/, ['a\ud83d', '\ude00bc\ud83d'])).toEqual({
      pushed: [[], ['a😀b']],
      units: ['a😀b'],
      rest: 'c\ud83d',
    });
    expect(split('line', ['\ud83d', '\n'])).toEqual({
      pushed: [[], ['\ud83d\n']],
      units: ['\ud83d\n'],
      rest: '',
    });
  });

  it('gives nothing for an empty push', () => {
    const splitter = createUnitSplitter('grapheme');
    expect(splitter.push('')).toEqual([]);
    expect(splitter.pending()).toBe('');
  });

  it('segments only the held tail and the new text on each push', () => {
    // Records the length of everything the splitters ask Intl.Segmenter to segment.
    const lengths: number[] = [];
    const original = Intl.Segmenter.prototype.segment;
    Intl.Segmenter.prototype.segment = function (this: Intl.Segmenter, input: string) {
      lengths.push(input.length);
      return original.call(this, input);
    };
    try {
      const words = createUnitSplitter('word');
      const graphemes = createUnitSplitter('grapheme');
      for (let i = 0; i < 500; i++) {
        words.push('word ');
        graphemes.push('ab');
      }
    } finally {
      Intl.Segmenter.prototype.segment = original;
    }
    expect(lengths).toHaveLength(1000);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(10);
  });

  it('reads one huge delta a kilobyte at a time, with the units of one pass', () => {
    const lengths: number[] = [];
    const original = Intl.Segmenter.prototype.segment;
    Intl.Segmenter.prototype.segment = function (this: Intl.Segmenter, input: string) {
      lengths.push(input.length);
      return original.call(this, input);
    };
    // 400k characters in one delta: words, emoji sequences and combining marks across windows.
    // (Node 20's Intl.Segmenter took 23 s to read it in one call.)
    const piece = 'Zürich 👩‍💻 e\u0301te\u0301. ';
    const huge = piece.repeat(20_000);
    let units: string[];
    try {
      const words = createUnitSplitter('word', undefined, 4096);
      units = [...words.push(huge), ...words.end()];
    } finally {
      Intl.Segmenter.prototype.segment = original;
    }
    expect(units.join('')).toBe(huge);
    expect(Math.max(...lengths)).toBeLessThanOrEqual(WINDOW + 1);
    // ...the same units as with nothing ever given up...
    const whole = createUnitSplitter('word', undefined, Infinity);
    expect(units).toEqual([...whole.push(huge), ...whole.end()]);
    // ...and as if it had come word by word.
    const pieces = createUnitSplitter('word', undefined, 4096);
    const expected = [
      ...huge.split(/(?<= )/).flatMap((piece) => pieces.push(piece)),
      ...pieces.end(),
    ];
    expect(units).toEqual(expected);
  });

  it('cuts a huge delta in regexp and sentence mode as one pass would, though cuts depend on text far ahead', () => {
    const newlines = 'a'.repeat(5000) + '\n'.repeat(50) + 'b'.repeat(10);
    const byRegexp = createUnitSplitter(/\n+/);
    expect([...byRegexp.push(newlines), ...byRegexp.end()].map((unit) => unit.length)).toEqual([
      5050, 10,
    ]);
    // Whether "e.g. " ends a sentence waits for the next letter, 6000 characters ahead.
    const abbreviations = 'See e.g. ' + '1 2 3 '.repeat(1000) + 'and more. Next one.';
    const bySentence = createUnitSplitter('sentence');
    const units = [...bySentence.push(abbreviations), ...bySentence.end()];
    expect(units.join('')).toBe(abbreviations);
    expect(units).toHaveLength(2); // 'See e.g. … and more. ' and 'Next one.'
  });

  it('scans only the new text for line ends, so a long line in tiny pieces stays linear', () => {
    const splitter = createUnitSplitter('line', undefined, Infinity);
    const started = Date.now();
    for (let i = 0; i < 200_000; i++) splitter.push('x');
    expect(splitter.push('\n')).toEqual(['x'.repeat(200_000) + '\n']);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('rejects an unknown unit and an invalid locale', () => {
    expect(() => createUnitSplitter('paragraph' as TextUnit)).toThrow(RangeError);
    expect(() => createUnitSplitter('word', 'not a locale!')).toThrow(RangeError);
    expect(() => createUnitSplitter('word', 'ja')).not.toThrow();
  });

  it('keeps every character, in order, in non-empty units, for any pieces and any mode', () => {
    fc.assert(
      fc.property(fc.constantFrom(...modes), fc.array(anyText, { maxLength: 12 }), (by, pieces) => {
        const { units, rest } = split(by, pieces);
        expect(units.join('') + rest).toBe(pieces.join(''));
        expect(units.every((unit) => unit !== '')).toBe(true);
        expect(cutsAPair([...units, rest])).toBe(false);
      }),
      { numRuns: 600 },
    );
  });

  it('cuts the same text the same way however it is cut into pieces', () => {
    const cuts = fc.array(fc.nat(), { maxLength: 6 });
    fc.assert(
      fc.property(
        fc.constantFrom<TextUnit>('line', 'grapheme', 'word', 'sentence', /[.!?]\s/),
        anyText,
        cuts,
        (by, text, offsets) => {
          const points = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort(
            (a, b) => a - b,
          );
          const pieces = [0, ...points].map((from, i) =>
            text.slice(from, [...points, text.length][i]),
          );
          expect(splitToEnd(by, pieces)).toEqual(splitToEnd(by, [text]));
        },
      ),
      { numRuns: 300 },
    );
  });
});
