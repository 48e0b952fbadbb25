import type { CutEngine } from './cut-engine';
import { isHighSurrogate, isLowSurrogate } from './code-points';

/**
 * Line ends: after each `'\n'`. Only the new text is looked at: held text never holds a `'\n'`,
 * and reading it again would make a long line streamed in tiny pieces cost quadratic time.
 */
export function lineCuts(): CutEngine {
  let read = 0;
  return {
    push(text) {
      const cuts: number[] = [];
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) {
        cuts.push(read + at + 1);
      }
      read += text.length;
      return cuts;
    },
    end: () => [],
    restart(offset, kept) {
      read = offset + kept.length;
    },
  };
}

/**
 * Whether `buffer` may be cut before `offset` without splitting a surrogate pair: neither one
 * that is there, nor one whose low half is still to come (a high surrogate ending the buffer).
 * Cutting at 0 would only make an empty unit.
 */
function canCut(buffer: string, offset: number): boolean {
  if (offset <= 0 || offset > buffer.length) return false;
  if (!isHighSurrogate(buffer.charCodeAt(offset - 1))) return true;
  return offset < buffer.length && !isLowSurrogate(buffer.charCodeAt(offset));
}

/** The ends of the non-empty matches of `regexp` (global) in `buffer` that may be cut at. */
function matchEnds(regexp: RegExp, buffer: string): number[] {
  const cuts: number[] = [];
  let previous = 0;
  regexp.lastIndex = 0;
  for (let match = regexp.exec(buffer); match !== null; match = regexp.exec(buffer)) {
    const end = match.index + match[0].length;
    if (match[0].length > 0 && end > previous && canCut(buffer, end)) {
      cuts.push(end);
      previous = end;
    }
    if (match[0].length === 0) {
      // An empty match leaves lastIndex where it was, and exec would find it again forever.
      // Step over a whole code point, so a unicode regexp never starts inside a pair.
      const at = match.index;
      const pair =
        isHighSurrogate(buffer.charCodeAt(at)) && isLowSurrogate(buffer.charCodeAt(at + 1));
      regexp.lastIndex = at + (pair ? 2 : 1);
      if (regexp.lastIndex > buffer.length) break;
    }
  }
  return cuts;
}

/**
 * Unit ends at the end of each match of `pattern`, found in the held text followed by the new
 * text, as if that were the whole text. The held text is matched again on every push: a match
 * may begin anywhere in it and depend on text arbitrarily far ahead (`/a[^]*?b/`, a lookahead),
 * so no shorter rescan finds the same matches for every regexp. A push therefore costs time
 * proportional to the held text plus the new text, which the splitter's `maxHeld` bounds; one
 * huge piece is matched in a single pass, never read twice.
 */
export function regexpCuts(pattern: RegExp): CutEngine {
  // A private copy: the caller's lastIndex is left alone and subscriptions never share state.
  const regexp = new RegExp(
    pattern.source,
    pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`,
  );
  let buffer = '';
  let bufferAt = 0;
  return {
    push(text) {
      buffer += text;
      // A high surrogate at the end is half a code point, and the whole one (a combining mark,
      // say) may belong to the match before it: it is matched once its other half is here.
      const complete = isHighSurrogate(text.charCodeAt(text.length - 1))
        ? buffer.slice(0, -1)
        : buffer;
      const ends = matchEnds(regexp, complete);
      const last = ends[ends.length - 1];
      const cuts = ends.map((end) => bufferAt + end);
      if (last !== undefined) {
        buffer = buffer.slice(last);
        bufferAt += last;
      }
      return cuts;
    },
    end: () => [],
    restart(offset, kept) {
      buffer = kept;
      bufferAt = offset;
    },
  };
}
