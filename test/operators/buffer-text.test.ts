import fc from 'fast-check';
import { Subject } from 'rxjs';
import { bufferText } from '../../src/operators/buffer-text';
import type { TextUnit } from '../../src/text/units';
import { testScheduler } from '../helpers/marbles';
import { tracking } from '../helpers/scheduling';
import { anyText, modes } from '../text/arbitraries';
import { showableAt, simulate } from './text-timing';

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
          const result = simulate(input, end, bufferText({ by, maxWait: wait }));
          for (const unit of result.emissions) expect(unit).not.toBe('');
          expect(result.output).toBe(input.map((p) => p.text).join(''));
          expect(result.completedAt).toBe(input.reduce((sum, p) => sum + p.gap, 0) + end);
          if (wait !== undefined) {
            const showable = showableAt(result.output, result.arrived, result.completedAt);
            result.left.forEach((frame, i) =>
              expect(frame).toBeLessThanOrEqual(showable[i]! + wait),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
