/**
 * Finds where units end in text that arrives in pieces. Offsets count UTF-16 units from the start
 * of the stream (or from the last {@link CutEngine.restart}), so an engine never needs the text it
 * has already cut off, and the splitter around it keeps the only copy of the held text.
 */
export interface CutEngine {
  /**
   * Reads `text`, which follows everything read before, and returns the offsets where units now
   * certainly end, increasing: each is a cut that text still to come cannot move or remove.
   */
  push(text: string): number[];
  /** No more text will come: returns the remaining cuts (the end itself is not one). */
  end(): number[];
  /**
   * Forgets everything read: the text after `offset` starts afresh, as if it began the stream,
   * after `kept` (text already read that stays held, at most half a surrogate pair).
   */
  restart(offset: number, kept: string): void;
}
