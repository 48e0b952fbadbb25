import fc from 'fast-check';
import { Observable, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bufferText } from '../../src/operators/buffer-text';
import { createUnitSplitter, type TextUnit } from '../../src/text/units';
import { WINDOW } from '../../src/text/segment-cuts';
import { testScheduler } from '../helpers/marbles';
import { tracking } from '../helpers/scheduling';

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

const modes: TextUnit[] = [
  'word',
  'line',
  'sentence',
  'grapheme',
  /\s*/,
  /(?:)/u,
  /[.!?。]\s?/,
  /./,
  /\n\n/,
  /\p{L}+/u,
  /[\uD800-\uDBFF]/,
];

/** Text made of the characters that make segmentation hard, including lone surrogates. */
const tricky = fc.string({
  unit: fc.constantFrom(
    'a',
    'B',
    ' ',
    '.',
    '!',
    '\n',
    '\r',
    '你',
    '好',
    '。',
    '\u0301',
    '\u200d',
    '\ufe0f',
    '👩',
    '🇺',
    '🇸',
    '\ud83d',
    '\ude00',
    '3',
  ),
  maxLength: 12,
});
const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  tricky,
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

const t = { a: 'Hel', b: 'lo wo', c: 'rld! Bye', x: 'Hello ', y: 'world! ', z: 'Bye', e: '' };

describe('bufferText', () => {
  it('emits each word as soon as the next begins, and the last on completion', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-|', t);
      expectObservable(source.pipe(bufferText({ by: 'word' }))).toBe('---x-y-(z|)', t);
      expectSubscriptions(source.subscriptions).toBe('^------!');
    });
  });

  it('emits several units of one piece separately, in order', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = {
        a: 'one\r',
        b: '\ntwo\n\nthr',
        c: 'ee',
        x: 'one\r\n',
        y: 'two\n',
        z: '\n',
        w: 'three',
      };
      expectObservable(cold('-a-b 9ms c|', values).pipe(bufferText({ by: 'line' }))).toBe(
        '---(xyz) 6ms (w|)',
        values,
      );
    });
  });

  it('cuts by sentence and by word in Chinese, splitting a run of hanzi once it has ended', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = { a: '你好世界。今天', b: '天气很好。', x: '你好世界。', y: '今天天气很好。' };
      expectObservable(
        cold('-a-b-|', values).pipe(bufferText({ by: 'sentence', locale: 'zh' })),
      ).toBe('-x---(y|)', values);
      const words = {
        a: '你好世界。今天',
        b: '天气',
        p: '你好',
        q: '世界。',
        r: '今天',
        s: '天气',
      };
      // 今天天气 may go on (今天天气很好), and a dictionary splits a run as a whole: its words
      // wait for the run to end, here with the stream.
      expectObservable(
        cold('-a 9ms b 9ms |', words).pipe(bufferText({ by: 'word', locale: 'zh' })),
      ).toBe('-(pq) 16ms (rs|)', words);
    });
  });

  it('cuts graphemes and regexp matches', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const emoji = {
        a: '👩\u200d',
        b: '👩\u200d👧e',
        c: '\u0301!',
        x: '👩‍👩‍👧',
        y: 'e\u0301',
        z: '!',
      };
      expectObservable(cold('-a-b-c-|', emoji).pipe(bufferText({ by: 'grapheme' }))).toBe(
        '---x-y-(z|)',
        emoji,
      );
      const paragraphs = {
        a: 'One\n',
        b: '\nTwo\n\nThr',
        c: 'ee',
        x: 'One\n\n',
        y: 'Two\n\n',
        z: 'Three',
      };
      expectObservable(cold('-a-b 9ms c-|', paragraphs).pipe(bufferText({ by: /\n\n/ }))).toBe(
        '---(xy) 8ms (z|)',
        paragraphs,
      );
    });
  });

  it('emits held text as it is, mid-word, exactly maxWait after it started waiting', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = { a: 'Hel', b: 'lo wor', c: 'ld', p: 'Hel', q: 'lo ', r: 'wor', s: 'ld' };
      // 'Hel' waits from 0 and goes at 5; 'wor' waits from 10 and goes at 15; 'ld' waits from 20.
      expectObservable(
        cold('a 9ms b 9ms c 20ms |', values).pipe(bufferText({ by: 'word', maxWait: 5 })),
      ).toBe('5ms p 4ms q 4ms r 9ms s 15ms |', values);
    });
  });

  it('counts maxWait from the oldest held character, with one action per hold period', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable }) => {
      const values = { a: 'Hello wo', b: 'rld the', c: 'r', x: 'Hello ', y: 'world ', z: 'ther' };
      // 'wo' waits from 0 and completes at 3, leaving 'the' (from 3): the action set for 5
      // reschedules itself for 8. 'the' grows at 6 but still goes at 8, with what is held then.
      expectObservable(
        cold('a 2ms b 2ms c 10ms |', values).pipe(
          bufferText({ by: 'word', maxWait: 5, scheduler }),
        ),
      ).toBe('x 2ms y 4ms z 8ms |', values);
    });
    expect(scheduled).toHaveLength(1);
  });

  it('schedules nothing while nothing is held, nor without maxWait', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable }) => {
      const lines = { a: 'one\n', b: 'two\nthree\n', x: 'one\n', y: 'two\n', z: 'three\n' };
      expectObservable(
        cold('-a-b 9ms |', lines).pipe(bufferText({ by: 'line', maxWait: 5, scheduler })),
      ).toBe('-x-(yz) 6ms |', lines);
      expectObservable(cold('-a 100ms b|', t).pipe(bufferText({ by: 'word', scheduler }))).toBe(
        '-- 100ms x(z|)',
        { ...t, z: 'wo' },
      );
    });
    expect(scheduled).toHaveLength(0);
  });

  it('cancels the wait when the held unit completes', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable }) => {
      const values = { a: 'one', b: ' more\n', x: 'one more\n' };
      expectObservable(
        cold('a-b 20ms |', values).pipe(bufferText({ by: 'line', maxWait: 5, scheduler })),
      ).toBe('--x 20ms |', values);
    });
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.closed).toBe(true);
  });

  it('emits held text right after each piece with maxWait 0', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = { a: 'Hello wo', b: 'rld', x: 'Hello ', y: 'wo', z: 'rld' };
      expectObservable(
        cold('-a 9ms b 9ms |', values).pipe(bufferText({ by: 'word', maxWait: 0 })),
      ).toBe('-(xy) 6ms z 9ms |', values);
    });
  });

  it('ignores empty strings', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable }) => {
      expectObservable(
        cold('-e-e-|', t).pipe(bufferText({ by: 'word', maxWait: 1, scheduler })),
      ).toBe('-----|');
    });
    expect(scheduled).toHaveLength(0);
  });

  it('drops held text on error, or emits it first with flushOnError', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-#', t, 'boom');
      expectObservable(source.pipe(bufferText({ by: 'word', maxWait: 50 }))).toBe(
        '---x-#',
        t,
        'boom',
      );
      expectObservable(source.pipe(bufferText({ by: 'word', flushOnError: true }))).toBe(
        '---x-(y#)',
        { ...t, y: 'wo' },
        'boom',
      );
      expectSubscriptions(source.subscriptions).toBe(['^----!', '^----!']);
    });
  });

  it('cancels the source and the pending wait on unsubscription', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b 20ms c|', t);
      expectObservable(
        source.pipe(bufferText({ by: 'word', maxWait: 10, scheduler })),
        '^---!',
      ).toBe('---x', t);
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.closed).toBe(true);
  });

  it('stops at once when the consumer unsubscribes from inside next', () => {
    const seen: string[] = [];
    const input = new Subject<string>();
    const subscription = input.pipe(bufferText({ by: 'line' })).subscribe((line) => {
      seen.push(line);
      subscription?.unsubscribe();
    });
    input.next('a\nb\nc\n');
    expect(seen).toEqual(['a\n']);
    expect(input.observed).toBe(false);
  });

  it('splits each subscription on its own', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const shared = bufferText({ by: 'word' });
      const source = cold('-a-b-c-|', t);
      expectObservable(source.pipe(shared)).toBe('---x-y-(z|)', t);
      expectObservable(source.pipe(shared)).toBe('---x-y-(z|)', t);
    });
  });

  it('validates its config when created', () => {
    expect(() => bufferText({ by: 'word', maxWait: -1 })).toThrow(RangeError);
    expect(() => bufferText({ by: 'word', maxWait: NaN })).toThrow('bufferText: maxWait must be');
    expect(() => bufferText({ by: 'word', maxWait: '5' as unknown as number })).toThrow(RangeError);
    expect(() => bufferText({ by: 'words' as TextUnit })).toThrow(RangeError);
    expect(() => bufferText({ by: 'word', locale: '!!' })).toThrow(RangeError);
    expect(() => bufferText({ by: 'word', maxWait: 0 })).not.toThrow();
    expect(() => bufferText({ by: 'word', maxWait: Infinity })).not.toThrow();
  });

  it('outputs exactly its input, each character within maxWait, for random pieces at random times', () => {
    const pieces = fc.array(fc.record({ gap: fc.nat({ max: 8 }), text: anyText }), {
      maxLength: 10,
    });
    const maxWait = fc.option(fc.nat({ max: 12 }), { nil: undefined });
    fc.assert(
      fc.property(
        fc.constantFrom(...modes),
        pieces,
        maxWait,
        fc.nat({ max: 8 }),
        (by, input, wait, end) => {
          const arrivals: number[] = [];
          const emitted: number[] = [];
          let output = '';
          let completedAt = -1;
          const ts = new TestScheduler(() => undefined);
          ts.run(() => {
            const source = new Observable<string>((subscriber) => {
              let at = 0;
              for (const { gap, text } of input) {
                at += gap;
                ts.schedule(() => {
                  arrivals.push(...Array.from({ length: text.length }, () => ts.now()));
                  subscriber.next(text);
                }, at);
              }
              ts.schedule(() => subscriber.complete(), at + end);
            });
            source.pipe(bufferText({ by, maxWait: wait })).subscribe({
              next(unit) {
                expect(unit).not.toBe('');
                output += unit;
                emitted.push(...Array.from({ length: unit.length }, () => ts.now()));
              },
              complete: () => (completedAt = ts.now()),
            });
          });
          expect(output).toBe(input.map((p) => p.text).join(''));
          expect(completedAt).toBe(input.reduce((sum, p) => sum + p.gap, 0) + end);
          if (wait !== undefined) {
            const showable = showableAt(output, arrivals, completedAt);
            emitted.forEach((frame, i) => expect(frame).toBeLessThanOrEqual(showable[i]! + wait));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * When each UTF-16 unit of `text` could first be shown: its arrival, except that half a
 * surrogate pair waits for its other half (and a lone high surrogate for the end of the source).
 */
function showableAt(text: string, arrivals: readonly number[], sourceEnd: number): number[] {
  return arrivals.map((arrived, i) => {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdbff) return arrived;
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? arrivals[i + 1]! : Math.max(arrived, sourceEnd);
  });
}
