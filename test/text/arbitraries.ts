import fc from 'fast-check';
import type { TextUnit } from '../../src/text/units';

/** Every kind of unit, and regexps that are hard to cut by (empty matches, half a pair). */
export const modes: TextUnit[] = [
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
/** Any text a model might stream, and the tricky kind. */
export const anyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
  tricky,
);
