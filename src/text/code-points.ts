/** UTF-16 helpers for cutting text between code points. */

/** Whether a UTF-16 unit is the first half of a surrogate pair. */
export const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;

/** Whether a UTF-16 unit is the second half of a surrogate pair. */
export const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** Whether text ends in the first half of a surrogate pair (its second half is still to come). */
export function endsInHighSurrogate(text: string): boolean {
  return isHighSurrogate(text.charCodeAt(text.length - 1));
}

/** Where the code point that ends at `end` starts: two units back for a surrogate pair. */
export function codePointBefore(text: string, end: number): number {
  return end >= 2 &&
    isLowSurrogate(text.charCodeAt(end - 1)) &&
    isHighSurrogate(text.charCodeAt(end - 2))
    ? end - 2
    : end - 1;
}

/**
 * A set of code points, given as a regexp that matches one (a character class, with the `u`
 * flag). Regexps read Unicode properties from the same ICU data `Intl.Segmenter` uses; ASCII, the
 * usual case, is looked up in a table instead.
 */
export class CodePointSet {
  private readonly sticky: RegExp;
  private ascii: Uint8Array | undefined;

  constructor(private readonly pattern: RegExp) {
    this.sticky = new RegExp(pattern.source, 'uy');
  }

  /** Whether the code point that starts at `at` is in the set. */
  has(text: string, at: number): boolean {
    const code = text.charCodeAt(at);
    if (code < 128) return (this.ascii ??= this.asciiTable())[code] === 1;
    this.sticky.lastIndex = at;
    return this.sticky.test(text);
  }

  // Built on first use, so importing the module costs nothing.
  private asciiTable(): Uint8Array {
    const whole = new RegExp(`^(?:${this.pattern.source})$`, 'u');
    return Uint8Array.from({ length: 128 }, (_, code) =>
      whole.test(String.fromCharCode(code)) ? 1 : 0,
    );
  }
}
