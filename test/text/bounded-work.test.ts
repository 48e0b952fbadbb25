import { createUnitSplitter, type TextUnit, type UnitSplitter } from '../../src/text/units';
import { WINDOW } from '../../src/text/segment-cuts';
import { RUN_CAP } from '../../src/text/segment-readers';

/*
 * How much text each Intl.Segmenter call, or each regexp match, is handed. On Node 20 a
 * segment() call costs its input length times its number of segments (every segment copies the
 * input), so the bounds below are what keeps a push at about a millisecond per kilobyte there:
 * they are asserted on the inputs, not timed. A call over the bound fails at once, so that the
 * old, quadratic splitting fails in seconds rather than minutes.
 */

interface Calls {
  lengths: number[];
  /** The sum of all inputs. */
  total(): number;
  max(): number;
}

interface Limits {
  /** The longest input one call may be handed. */
  call?: number;
  /** The most all calls together may be handed. */
  total?: number;
}

/**
 * Records the input of every Intl.Segmenter.segment call that `run` makes, and throws as soon as
 * one goes over a limit.
 */
function segmentCalls({ call = Infinity, total = Infinity }: Limits, run: () => void): Calls {
  const lengths: number[] = [];
  let sum = 0;
  const original = Intl.Segmenter.prototype.segment;
  Intl.Segmenter.prototype.segment = function (this: Intl.Segmenter, input: string) {
    lengths.push(input.length);
    sum += input.length;
    if (input.length > call) {
      throw new Error(`segment() was handed ${input.length} UTF-16 units, over ${call}`);
    }
    if (sum > total) throw new Error(`segment() was handed ${sum} UTF-16 units, over ${total}`);
    return original.call(this, input);
  };
  try {
    run();
  } finally {
    Intl.Segmenter.prototype.segment = original;
  }
  return {
    lengths,
    total: () => sum,
    max: () => Math.max(0, ...lengths),
  };
}

/** Pushes `text` in pieces of `size` (one piece if omitted) and ends: all the units. */
function split(splitter: UnitSplitter, text: string, size = text.length): string[] {
  const units: string[] = [];
  for (let at = 0; at < text.length; at += size) {
    for (const unit of splitter.push(text.slice(at, at + size))) units.push(unit);
  }
  for (const unit of splitter.end()) units.push(unit);
  return units;
}

/** A window, and the low half of a pair it may take in so as not to end inside it. */
const PER_CALL = WINDOW + 1;

const modes: ('grapheme' | 'word' | 'sentence')[] = ['grapheme', 'word', 'sentence'];

describe('bounded segmentation', () => {
  it('segments a 400k-character delta a kilobyte at a time in every mode, as if it came in pieces', () => {
    // Words, emoji sequences and combining marks across windows, and a sentence every 20.
    const piece = 'Zürich 👩‍💻 e\u0301te\u0301. ';
    const huge = piece.repeat(20_000);
    for (const by of modes) {
      let units: string[] = [];
      const calls = segmentCalls({ call: PER_CALL, total: 1.1 * huge.length }, () => {
        units = split(createUnitSplitter(by, undefined, Infinity), huge);
      });
      expect(calls.max()).toBeLessThanOrEqual(PER_CALL);
      expect(calls.total()).toBeLessThan(1.1 * huge.length);
      // One pass over 400k characters is what takes Node 20 seconds: compare with the pieces.
      expect(units).toEqual(split(createUnitSplitter(by, undefined, Infinity), huge, piece.length));
    }
  });

  it('segments 450 kB of sentences in one delta or in 10-character deltas in bounded calls', () => {
    const text = 'The quick brown fox jumps over the lazy dog, then naps. '.repeat(8036);
    for (const by of modes) {
      for (const size of [text.length, 10]) {
        let units: string[] = [];
        const total = (size === 10 ? 1.5 : 1.1) * text.length;
        const calls = segmentCalls({ call: PER_CALL, total }, () => {
          units = split(createUnitSplitter(by), text, size);
        });
        expect(units.join('')).toBe(text);
        expect(calls.max()).toBeLessThanOrEqual(PER_CALL);
        expect(calls.total()).toBeLessThanOrEqual(total);
      }
    }
  });

  it('does not segment a sentence again from its start on each small delta, however much is held', () => {
    // 450 kB with no sentence end, in 10-character deltas, and nothing given up (maxHeld
    // Infinity): each push reads from the last point between two letters, not from the start.
    const text = 'the quick brown fox jumps over the lazy dog and naps '.repeat(8500);
    for (const by of ['sentence', 'word'] as const) {
      let units: string[] = [];
      const calls = segmentCalls({ call: 64, total: 2 * text.length }, () => {
        units = split(createUnitSplitter(by, undefined, Infinity), text, 10);
      });
      expect(units.join('')).toBe(text);
      expect(calls.max()).toBeLessThanOrEqual(64);
      expect(calls.total()).toBeLessThanOrEqual(2 * text.length);
    }
  });

  it.each<[string, TextUnit, string]>([
    ['a letter under 100k combining marks', 'grapheme', 'a' + '\u0301'.repeat(100_000) + ' b'],
    ['a ZWJ sequence of 30k emoji', 'grapheme', '👩' + '\u200d👩'.repeat(30_000) + ' b'],
    [
      'a sentence end undecided for 100k digits',
      'sentence',
      'See e.g. ' + '1 2 '.repeat(25_000) + 'and more. Next.',
    ],
    ['100k exclamation marks', 'sentence', 'Wow' + '!'.repeat(100_000) + ' Next.'],
    ['100k spaces after a sentence end', 'sentence', 'Wow.' + ' '.repeat(100_000) + 'Next.'],
    ['100k spaces after a word', 'word', 'word' + ' '.repeat(100_000) + 'end'],
    ['a 100k-character identifier', 'word', 'a' + '_b1'.repeat(33_000) + ' c'],
    ['100k punctuation marks', 'word', 'word' + '!?'.repeat(50_000) + 'end'],
  ])('reads %s in linear time, in one delta or in 7-character deltas', (_, by, text) => {
    for (const size of [text.length, 7]) {
      let units: string[] = [];
      // The long unit may be read whole (it has one or two segments), but only about once, not
      // again on each small delta.
      const calls = segmentCalls({ total: 3 * text.length }, () => {
        units = split(createUnitSplitter(by, undefined, Infinity), text, size);
      });
      expect(units.join('')).toBe(text);
      expect(calls.total()).toBeLessThanOrEqual(3 * text.length);
    }
  });

  it('reads a run of Chinese or Thai with no punctuation past 2 KiB in pieces', () => {
    const runs = [
      '今天天气很好我们去公园散步吧研究生命起源是一个有趣的课题'.repeat(1000),
      'ภาษาไทยเป็นภาษาที่สวยงาม'.repeat(1000),
    ];
    for (const run of runs) {
      const text = `Run: ${run}. Done`;
      for (const size of [text.length, 7]) {
        let units: string[] = [];
        const limits = { call: 2 * RUN_CAP + PER_CALL, total: 12 * text.length };
        const calls = segmentCalls(limits, () => {
          units = split(createUnitSplitter('word', undefined, Infinity), text, size);
        });
        expect(units.join('')).toBe(text);
        expect(units.length).toBeGreaterThan(run.length / 10);
        expect(calls.max()).toBeLessThanOrEqual(limits.call);
        expect(calls.total()).toBeLessThanOrEqual(limits.total);
      }
    }
  });

  it('matches a regexp against at most maxHeld plus the new text on each small delta', () => {
    const text = 'the quick brown fox jumps over the lazy dog and naps '.repeat(2000);
    const inputs: number[] = [];
    const original = RegExp.prototype.exec;
    RegExp.prototype.exec = function (this: RegExp, input: string) {
      if (this.source === '[.!?]\\s') inputs.push(input.length);
      return original.call(this, input);
    };
    let units: string[];
    try {
      units = split(createUnitSplitter(/[.!?]\s/, undefined, 4096), text, 10);
    } finally {
      RegExp.prototype.exec = original;
    }
    expect(units.join('')).toBe(text);
    // A match may start anywhere in the held text and look arbitrarily far ahead, so the held
    // text is matched again on each push: maxHeld is what bounds that work.
    expect(Math.max(...inputs)).toBeLessThanOrEqual(4096 + 10);
  });
});
