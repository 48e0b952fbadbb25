import { Observable, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';

/** A piece of streamed text, sent `gap` frames after the one before. */
export interface Piece {
  gap: number;
  text: string;
}

/**
 * Runs `operator` in virtual time over `pieces`, each sent `gap` frames after the one before,
 * with completion `end` frames after the last. Gives the frame at which each UTF-16 code unit
 * arrived and left, the output, the emissions and their frames, and when the output completed.
 */
export function simulate(pieces: Piece[], end: number, operator: OperatorFunction<string, string>) {
  const arrived: number[] = [];
  const left: number[] = [];
  const emissions: string[] = [];
  const frames: number[] = [];
  let completedAt = -1;
  let sourceCompletedAt = -1;
  const ts = new TestScheduler(() => undefined);
  ts.run(() => {
    const source = new Observable<string>((subscriber) => {
      let at = 0;
      for (const { gap, text } of pieces) {
        at += gap;
        ts.schedule(() => {
          arrived.push(...Array.from({ length: text.length }, () => ts.now()));
          subscriber.next(text);
        }, at);
      }
      ts.schedule(() => {
        sourceCompletedAt = ts.now();
        subscriber.complete();
      }, at + end);
    });
    source.pipe(operator).subscribe({
      next(text) {
        emissions.push(text);
        frames.push(ts.now());
        left.push(...Array.from({ length: text.length }, () => ts.now()));
      },
      complete: () => (completedAt = ts.now()),
    });
  });
  return {
    arrived,
    left,
    emissions,
    frames,
    output: emissions.join(''),
    completedAt,
    sourceCompletedAt,
  };
}

/**
 * When each UTF-16 unit of `text` could first be shown: its arrival, except that half a
 * surrogate pair waits for its other half (and a lone high surrogate for the end of the source).
 */
export function showableAt(text: string, arrivals: readonly number[], sourceEnd: number): number[] {
  return arrivals.map((arrived, i) => {
    const code = text.charCodeAt(i);
    if (code < 0xd800 || code > 0xdbff) return arrived;
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? arrivals[i + 1]! : Math.max(arrived, sourceEnd);
  });
}
