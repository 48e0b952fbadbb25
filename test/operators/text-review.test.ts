import { of, Subject } from 'rxjs';
import { bufferText } from '../../src/operators/buffer-text';
import { smoothText } from '../../src/operators/smooth-text';
import { createUnitSplitter } from '../../src/text/units';
import { testScheduler } from '../helpers/marbles';

const HIGH = '\ud83d';
const LOW = '\ude00'; // HIGH + LOW = 😀
const hasLoneSurrogate = (s: string) =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('text operators under pressure', () => {
  it('bufferText keeps order when a subscriber feeds the source from inside next', () => {
    const input = new Subject<string>();
    const out: string[] = [];
    let fed = false;
    input.pipe(bufferText({ by: 'word' })).subscribe((unit) => {
      out.push(unit);
      if (!fed) {
        fed = true;
        input.next('d e');
      }
    });
    input.next('a b c ');
    input.complete();
    expect(out.join('')).toBe('a b c d e');
    expect(out).toEqual(['a ', 'b ', 'c ', 'd ', 'e']);
  });

  it('a timed give-up never emits half a surrogate pair', () => {
    const smoothed: string[] = [];
    testScheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 49ms b|', { a: `hi ${HIGH}`, b: `${LOW}!` });
      expectObservable(source.pipe(bufferText({ by: 'grapheme', maxWait: 10 }))).toBe(
        '(hi) 6ms s 39ms e (x|)',
        { h: 'h', i: 'i', s: ' ', e: `${HIGH}${LOW}`, x: '!' },
      );
      source.pipe(smoothText({ maxLag: 10 })).subscribe((text) => smoothed.push(text));
    });
    expect(smoothed.join('')).toBe(`hi ${HIGH}${LOW}!`);
    for (const text of smoothed) expect(hasLoneSurrogate(text)).toBe(false);
    const emissions: string[] = [];
    of(`x${HIGH}`, `${LOW}y`)
      .pipe(bufferText({ by: 'word', maxWait: 0 }))
      .subscribe((unit) => emissions.push(unit));
    expect(emissions.join('')).toBe(`x${HIGH}${LOW}y`);
    for (const unit of emissions) expect(hasLoneSurrogate(unit)).toBe(false);
  });

  it('smoothText holds half a surrogate pair past its deadline rather than split it', () => {
    const emissions: string[] = [];
    testScheduler().run(({ cold, flush }) => {
      cold('a 99ms b|', { a: `ok${HIGH}`, b: LOW })
        .pipe(smoothText({ maxLag: 20, interval: 5 }))
        .subscribe((text) => emissions.push(text));
      flush();
    });
    expect(emissions.join('')).toBe(`ok${HIGH}${LOW}`);
    for (const unit of emissions) expect(hasLoneSurrogate(unit)).toBe(false);
  });

  it('bounds the held text when a unit never completes', () => {
    const splitter = createUnitSplitter(/never-matches/, undefined, 100);
    const units: string[] = [];
    for (let i = 0; i < 1000; i++) units.push(...splitter.push('0123456789'));
    expect(splitter.pending().length).toBeLessThanOrEqual(100);
    expect(units.join('') + splitter.flush()).toBe('0123456789'.repeat(1000));
    expect(Math.max(...units.map((u) => u.length))).toBeLessThanOrEqual(110);

    const out: string[] = [];
    of(...Array<string>(500).fill('xxxxxxxxxx'))
      .pipe(bufferText({ by: 'sentence', maxHeld: 64 }))
      .subscribe((unit) => out.push(unit));
    expect(out.join('')).toBe('x'.repeat(5000));
    expect(Math.max(...out.map((u) => u.length))).toBeLessThanOrEqual(74);
  });
});
