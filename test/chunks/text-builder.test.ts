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
