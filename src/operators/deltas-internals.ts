import { Observable, type OperatorFunction } from 'rxjs';
import type { ChatCompletionDelta, ChatStreamEvent } from '../chunks/types';
import { ResponseTexts } from '../responses/response-texts';
import { SurrogateHold } from '../text/surrogate-hold';

/**
 * The operator behind {@link contentDeltas} and {@link reasoningDeltas}: the text that `read`
 * finds in each delta of choice `wanted`, one string per chunk that carries some (empty pieces
 * are skipped), never ending in half a surrogate pair. A half still held at the end (completion
 * or error) is emitted as it is, before the notification.
 */
export function textDeltas(
  wanted: number,
  read: (delta: ChatCompletionDelta) => string,
  stream: 'content' | 'reasoning',
): OperatorFunction<ChatStreamEvent, string> {
  return (source) =>
    new Observable<string>((subscriber) => {
      const hold = new SurrogateHold();
      let texts: ResponseTexts | undefined;
      const release = () => {
        const half = hold.release();
        if (half) subscriber.next(half);
      };
      return source.subscribe({
        next(event) {
          if (event.type === 'responses') {
            // The Responses API has one answer: it is choice 0.
            if (wanted !== 0) return;
            texts ??= new ResponseTexts();
            texts.read(event.event);
            const text = texts[stream];
            const whole = text && hold.take(text);
            if (whole) subscriber.next(whole);
            return;
          }
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
