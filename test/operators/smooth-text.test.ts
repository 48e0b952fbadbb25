import fc from 'fast-check';
import { Subject, take } from 'rxjs';
import { smoothText } from '../../src/operators/smooth-text';
import type { TextUnit } from '../../src/text/units';
import { testScheduler } from '../helpers/marbles';
import { tracking } from '../helpers/scheduling';
import { showableAt, simulate } from './text-timing';

const units: TextUnit[] = ['grapheme', 'word', 'sentence', 'line', /[.!?]\s/, /\s*/];

const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 16 }),
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.string({
    unit: fc.constantFrom(
      'a',
      ' ',
      '.',
      '\n',
      '你',
      '。',
      '\u0301',
      '\u200d',
      '👩',
      '🇺',
      '\ud83d',
      '\ude00',
    ),
    maxLength: 16,
  }),
);

describe('smoothText', () => {
  it('releases a burst over several ticks, evenly, finishing by its deadline', () => {
    testScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-|', { a: '0123456789' });
      // 9 complete graphemes (the last may still take a combining mark) due at 40 share the 5
      // ticks 0, 10, ... 40: 2 each. The '9' joins them when the source completes.
      expectObservable(source.pipe(smoothText({ maxLag: 40, interval: 10 }))).toBe(
        'a 9ms b 9ms c 9ms d 9ms (e|)',
        { a: '01', b: '23', c: '45', d: '67', e: '89' },
      );
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('completes within maxLag of the source, with one action for the whole run', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    const text = 'x'.repeat(100);
    ts.run(({ cold, expectObservable }) => {
      // 100 graphemes due at 50 share the 6 ticks 0, 10, ... 50.
      expectObservable(
        cold('(a|)', { a: text }).pipe(smoothText({ maxLag: 50, interval: 10, scheduler })),
      ).toBe('a 9ms a 9ms a 9ms a 9ms b 9ms (b|)', { a: 'x'.repeat(17), b: 'x'.repeat(16) });
    });
    expect(scheduled).toHaveLength(1);
  });

  it('passes a slow source through as it comes, with no timer while idle', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable }) => {
      const lines = { a: 'one\n', b: 'two\n', c: 'three\n' };
      const marbles = 'a 49ms b 49ms c 49ms |';
      expectObservable(
        cold(marbles, lines).pipe(smoothText({ maxLag: 400, unit: 'line', scheduler })),
      ).toBe(marbles, lines);
    });
    expect(scheduled).toHaveLength(0);
  });

  it('keeps pace with a slow source, holding only the grapheme that may still grow', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // Each 'i' waits for the next piece (it could take an accent), then goes at the next tick.
      expectObservable(
        cold('a 49ms a 49ms a 49ms |', { a: 'Hi' }).pipe(smoothText({ maxLag: 400 })),
      ).toBe('H 49ms i 15ms H 33ms i 15ms H 33ms (i|)', { H: 'H', i: 'i' });
    });
  });

  it('releases the held tail as it is at its deadline when the source stalls', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(
        cold('a 200ms |', { a: 'Hello' }).pipe(smoothText({ maxLag: 100, interval: 10 })),
      ).toBe('H 9ms e 9ms l 9ms l 69ms o 100ms |', { H: 'H', e: 'e', l: 'l', o: 'o' });
    });
  });

  it('passes text through when maxLag is below one tick, holding only the incomplete tail', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // Every complete unit would be late at the next tick, so it goes at once; the held space
      // goes at its own deadline, 5 + 30.
      const values = { a: 'ab ', b: 'cd ', x: 'ab', y: ' cd', z: ' ' };
      expectObservable(
        cold('a 4ms b 100ms |', values).pipe(smoothText({ maxLag: 30, interval: 100 })),
      ).toBe('x 4ms y 29ms z 70ms |', values);
    });
  });

  it('cuts by word, also in Chinese', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const values = {
        a: '你好世界。今天天气很好。',
        p: '你好',
        q: '世界。',
        r: '今天',
        s: '天气',
        t: '很好。',
      };
      expectObservable(
        cold('a 100ms |', values).pipe(
          smoothText({ maxLag: 100, interval: 20, unit: 'word', locale: 'zh' }),
        ),
      ).toBe('p 19ms q 19ms r 19ms s 39ms t|', values);
    });
  });

  it('passes text through unchanged with maxLag 0, and ignores empty strings', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable }) => {
      const values = { a: 'Hel', b: 'lo 👩\u200d', c: '👧', e: '' };
      expectObservable(cold('-a-e-b-c-|', values).pipe(smoothText({ maxLag: 0, scheduler }))).toBe(
        '-a---b-c-|',
        values,
      );
      expectObservable(cold('-e-e-|', values).pipe(smoothText({ maxLag: 100, scheduler }))).toBe(
        '-----|',
      );
    });
    expect(scheduled).toHaveLength(0);
  });

  it('releases one unit per tick with maxLag Infinity', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      expectObservable(
        cold('(a|)', { a: 'abc' }).pipe(smoothText({ maxLag: Infinity, interval: 10 })),
      ).toBe('a 9ms b 9ms (c|)', { a: 'a', b: 'b', c: 'c' });
    });
  });

  it('drops the queue on error, or emits it at once with flushOnError', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 5ms #', { a: 'abc' }, 'boom');
      const config = { maxLag: 100, interval: 10, scheduler };
      expectObservable(source.pipe(smoothText(config))).toBe('a 5ms #', { a: 'a' }, 'boom');
      expectObservable(source.pipe(smoothText({ ...config, flushOnError: true }))).toBe(
        'a 5ms (x#)',
        { a: 'a', x: 'bc' },
        'boom',
      );
      expectSubscriptions(source.subscriptions).toBe(['^ 5ms !', '^ 5ms !']);
    });
    expect(scheduled).toHaveLength(2);
    expect(scheduled.every((action) => action.closed)).toBe(true);
  });

  it('cancels the source and the ticker on unsubscription', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 100ms |', { a: 'abcdef' });
      expectObservable(
        source.pipe(smoothText({ maxLag: 100, interval: 10, scheduler })),
        '^ 25ms !',
      ).toBe('a 9ms b 9ms c', { a: 'a', b: 'b', c: 'c' });
      expectSubscriptions(source.subscriptions).toBe('^ 25ms !');
    });
    expect(scheduled).toHaveLength(1);
    expect(scheduled[0]!.closed).toBe(true);
  });

  it('stops at once when the consumer unsubscribes from inside next', () => {
    const ts = testScheduler();
    const { scheduler, scheduled } = tracking(ts);
    const seen: string[] = [];
    ts.run(() => {
      const input = new Subject<string>();
      input
        .pipe(smoothText({ maxLag: 100, unit: 'line', scheduler }), take(1))
        .subscribe((line) => {
          seen.push(line);
        });
      input.next('one\ntwo\nthree\n');
      expect(input.observed).toBe(false);
    });
    expect(seen).toEqual(['one\n']);
    expect(scheduled).toHaveLength(0);
  });

  it('keeps up with a source faster than one unit per tick, in even steps on a steady rhythm', () => {
    const pieces = Array.from({ length: 100 }, () => ({ gap: 10, text: 'abcd' }));
    const result = simulate(pieces, 0, smoothText({ maxLag: 200, interval: 16 }));
    expect(result.output).toBe('abcd'.repeat(100));
    const lags = result.left.map((frame, i) => frame - result.arrived[i]!);
    expect(Math.max(...lags)).toBeLessThanOrEqual(200);
    expect(result.completedAt).toBeLessThanOrEqual(result.sourceCompletedAt + 200);
    // The ticker starts with the first piece, at 10, and never leaves its rhythm while it runs,
    // not even for a deadline.
    expect(result.frames.filter((frame) => (frame - 10) % 16 !== 0)).toEqual([]);
    // 4 characters every 10 ms is 6.4 per tick of 16: once the backlog has built up, releases
    // stay close to that.
    const sizes = result.emissions.slice(30, -5).map((text) => text.length);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(5);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(8);
  });

  it('validates its config when created', () => {
    expect(() => smoothText({ maxLag: -1 })).toThrow(RangeError);
    expect(() => smoothText({ maxLag: NaN })).toThrow('smoothText: maxLag must be');
    expect(() => smoothText({ maxLag: '5' as unknown as number })).toThrow(RangeError);
    expect(() => smoothText({ maxLag: 10, interval: 0 })).toThrow('smoothText: interval must be');
    expect(() => smoothText({ maxLag: 10, interval: -5 })).toThrow(RangeError);
    expect(() => smoothText({ maxLag: 10, interval: Infinity })).toThrow(RangeError);
    expect(() => smoothText({ maxLag: 10, interval: NaN })).toThrow(RangeError);
    expect(() => smoothText({ maxLag: 10, unit: 'letter' as TextUnit })).toThrow(RangeError);
    expect(() => smoothText({ maxLag: 10, locale: '!!' })).toThrow(RangeError);
    expect(() => smoothText({ maxLag: 0 })).not.toThrow();
    expect(() => smoothText({ maxLag: Infinity, interval: 0.5 })).not.toThrow();
  });

  it('emits every character within maxLag and completes within maxLag, for random pieces at random times', () => {
    const pieces = fc.array(fc.record({ gap: fc.nat({ max: 40 }), text: anyText }), {
      maxLength: 12,
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...units),
        pieces,
        fc.nat({ max: 30 }),
        fc.nat({ max: 150 }),
        fc.integer({ min: 1, max: 40 }),
        (unit, input, end, maxLag, interval) => {
          const result = simulate(input, end, smoothText({ maxLag, interval, unit }));
          expect(result.output).toBe(input.map((piece) => piece.text).join(''));
          expect(result.emissions).not.toContain('');
          const showable = showableAt(result.output, result.arrived, result.sourceCompletedAt);
          result.left.forEach((frame, i) => {
            expect(frame).toBeGreaterThanOrEqual(result.arrived[i]!);
            expect(frame).toBeLessThanOrEqual(showable[i]! + maxLag);
          });
          expect(result.completedAt).toBeGreaterThanOrEqual(result.sourceCompletedAt);
          expect(result.completedAt).toBeLessThanOrEqual(result.sourceCompletedAt + maxLag);
        },
      ),
      { numRuns: 300 },
    );
  });
});
