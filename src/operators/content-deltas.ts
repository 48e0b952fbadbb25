import { Observable, type OperatorFunction } from 'rxjs';
import { contentOf } from '../chunks/delta-text';
import type { ChatStreamEvent } from '../chunks/types';
import { endsInHighSurrogate } from '../text/units';

/** Options of {@link contentDeltas} and {@link reasoningDeltas}. */
export interface DeltaOptions {
  /** Which choice to follow when the request asked for `n > 1`. Default 0. */
  choice?: number;
}

/**
 * The answer text as it arrives: one string per chunk that carries text for the choice (empty
 * pieces are skipped). Array content (typed parts) contributes its `text` parts.
 *
 * No piece ends in half a surrogate pair: when a server cuts an emoji between two chunks, the
 * high half is held and goes out with the next piece. At the end of the stream (completion or
 * error) a half that never got its pair is emitted as it is, before the notification, so the
 * pieces always join to exactly the text received.
 *
 * @example
 * ```ts
 * client.stream(request).pipe(contentDeltas()).subscribe((text) => process.stdout.write(text));
 * ```
 */
export function contentDeltas(
  options: DeltaOptions = {},
): OperatorFunction<ChatStreamEvent, string> {
  return textDeltas(options.choice ?? 0, contentOf);
}

/** Shared by {@link contentDeltas} and {@link reasoningDeltas}. */
export function textDeltas(
  wanted: number,
  read: typeof contentOf,
): OperatorFunction<ChatStreamEvent, string> {
  return (source) =>
    new Observable<string>((subscriber) => {
      const hold = new SurrogateHold();
      const release = () => {
        const half = hold.release();
        if (half) subscriber.next(half);
      };
      return source.subscribe({
        next(event) {
          if (event.type !== 'chunk' || !event.chunk.choices) return;
          for (const choice of event.chunk.choices) {
            if ((choice.index ?? 0) !== wanted || !choice.delta) continue;
            const text = read(choice.delta);
            if (!text) continue;
            const whole = hold.take(text);
            if (whole) subscriber.next(whole);
          }
        },
        error(error: unknown) {
          release();
          subscriber.error(error);
        },
        complete() {
          release();
          subscriber.complete();
        },
      });
    });
}

/**
 * Keeps half a surrogate pair out of streamed text. A server may cut an emoji between two chunks
 * (JSON-escaped as `"\ud83d"`, then `"\ude00"`), and either half shown alone is U+FFFD. `take`
 * holds back a trailing high surrogate and puts it in front of the next piece; `release` gives
 * up what is still held at the end. Only the last character of each piece is looked at.
 *
 * A high surrogate that never gets its low half (the stream ended, or the next piece does not
 * start with one) was lone in what the server sent: it is passed on as it is rather than dropped
 * or replaced, so the pieces always join to exactly the text received.
 *
 * @example
 * ```ts
 * const hold = new SurrogateHold();
 * hold.take('Hi \ud83d'); // 'Hi '
 * hold.take('\ude00!'); // '😀!'
 * hold.release(); // ''
 * ```
 */
export class SurrogateHold {
  private half = '';

  /** The part of `text` (after anything held) that is safe to emit now; may be `''`. */
  take(text: string): string {
    if (this.half !== '') {
      text = this.half + text;
      this.half = '';
    }
    if (!endsInHighSurrogate(text)) return text;
    this.half = text.slice(-1);
    return text.slice(0, -1);
  }

  /** What is still held (`''` or one lone high surrogate), cleared. */
  release(): string {
    const half = this.half;
    this.half = '';
    return half;
  }
}
