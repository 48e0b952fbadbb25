/**
 * When each character of streamed text arrived, for the operators that hold text back for a
 * bounded time ({@link bufferText}, {@link smoothText}). Offsets count the characters added
 * since the start; lookups only move forward, so old marks are dropped as they are passed.
 *
 * @example
 * ```ts
 * const arrivals = new Arrivals();
 * arrivals.add(3, 100); // 3: characters 0-2 arrived at 100
 * arrivals.add(2, 150); // 5: characters 3-4 at 150
 * arrivals.at(3); // 150
 * ```
 */
export class Arrivals {
  private marks: { end: number; time: number }[] = [];
  private head = 0;
  private total = 0;

  /** Records `length` characters arriving at `time`; returns the offset after them. */
  add(length: number, time: number): number {
    this.total += length;
    this.marks.push({ end: this.total, time });
    return this.total;
  }

  /** The arrival time of the character at `offset`, which must be below the total added. */
  at(offset: number): number {
    while (this.marks[this.head]!.end <= offset) this.head++;
    if (this.head > 64 && this.head * 2 > this.marks.length) {
      this.marks = this.marks.slice(this.head);
      this.head = 0;
    }
    return this.marks[this.head]!.time;
  }

  /** Forgets every mark, for when nothing is held any more (offsets go on counting). */
  clear(): void {
    this.marks = [];
    this.head = 0;
  }
}
