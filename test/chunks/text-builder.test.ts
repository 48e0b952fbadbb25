import fc from 'fast-check';
import { BLOCK_PARTS, TextBuilder } from '../../src/chunks/text-builder';

describe('TextBuilder', () => {
  it('gives exactly the concatenation, whenever it is read', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 6 }), fc.boolean()), {
          maxLength: 3 * BLOCK_PARTS,
        }),
        (steps) => {
          const builder = new TextBuilder();
          let expected = '';
          for (const [text, read] of steps) {
            builder.append(text);
            expected += text;
            if (read) expect(builder.toString()).toBe(expected);
          }
          expect(builder.toString()).toBe(expected);
        },
      ),
    );
  });

  it('returns the same string while nothing was appended', () => {
    const builder = new TextBuilder();
    expect(builder.toString()).toBe('');
    builder.append('a');
    builder.append('');
    const first = builder.toString();
    expect(builder.toString()).toBe(first);
    builder.append('b');
    expect(builder.toString()).toBe('ab');
  });

  it('keeps across block boundaries, with non-ASCII text', () => {
    const builder = new TextBuilder();
    const parts = Array.from({ length: BLOCK_PARTS * 2 + 3 }, (_, i) => `é${i}😀`);
    for (const part of parts) builder.append(part);
    expect(builder.toString()).toBe(parts.join(''));
  });
});

describe('TextBuilder.lastUnit', () => {
  it('is the last UTF-16 unit appended, NaN while empty, unchanged by empty deltas', () => {
    const builder = new TextBuilder();
    expect(builder.lastUnit).toBeNaN();
    builder.append('a\uD83D');
    expect(builder.lastUnit).toBe(0xd83d);
    builder.append('');
    expect(builder.lastUnit).toBe(0xd83d);
    for (let i = 0; i < BLOCK_PARTS; i++) builder.append(i % 2 ? 'x' : 'yz');
    builder.append('x');
    expect(builder.lastUnit).toBe('x'.charCodeAt(0));
    expect(builder.toString().endsWith('x')).toBe(true);
  });
});
