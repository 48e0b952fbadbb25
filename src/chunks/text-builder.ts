/**
 * Appends many small strings (a stream's deltas) in linear time with memory close to the text's
 * own size.
 *
 * `text += delta` is linear in time too (V8 keeps a rope), but the rope holds every delta as its
 * own string plus a tree node: on a real stream (about four characters per delta) that is about
 * four times the text. Here deltas wait in a short list that is joined into one flat block every
 * {@link BLOCK_PARTS} deltas, so the rope has one node per block, and the deltas can be collected.
 */
export class TextBuilder {
  /** The joined blocks: a short rope of large flat strings. */
  private blocks = '';
  /** Deltas since the last block, to be joined flat. */
  private readonly parts: string[] = [];
  /** The same deltas as a short rope, for reading the text in constant time in between. */
  private tail = '';

  /**
   * The text's last UTF-16 unit (NaN while empty), kept from the last delta: reading the end of
   * the text itself would flatten the rope, a copy of everything so far on every delta.
   */
  lastUnit = NaN;

  append(text: string): void {
    if (text.length === 0) return;
    this.lastUnit = text.charCodeAt(text.length - 1);
    this.parts.push(text);
    if (this.parts.length >= BLOCK_PARTS) {
      this.blocks += this.parts.join('');
      this.parts.length = 0;
      this.tail = '';
    } else {
      this.tail += text;
    }
  }

  /** The text so far, in constant time (a snapshot after every delta copies nothing). */
  toString(): string {
    return this.tail === '' ? this.blocks : this.blocks + this.tail;
  }
}

/** How many deltas make a block: big enough that the rope stays short, small enough to copy. */
export const BLOCK_PARTS = 256;
