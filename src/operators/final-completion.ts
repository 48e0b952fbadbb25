import { Observable, type OperatorFunction } from 'rxjs';
import { CompletionAccumulator } from '../chunks/accumulator';
import type { ChatCompletion, ChatStreamEvent } from '../chunks/types';
import { attachPartial } from './attach-partial';

/**
 * Folds a chat stream into one normalised {@link ChatCompletion}, emitted when the stream
 * completes: choices by index, text concatenated, tool calls merged, `finish_reason` sticky,
 * logprobs appended, and the final usage.
 *
 * If the stream fails, the error (an `RxChatError`) carries what had arrived as `partial`.
 *
 * @example
 * ```ts
 * client.stream(request).pipe(finalCompletion()).subscribe((completion) => {
 *   console.log(completion.choices[0]?.message.content, completion.usage?.total_tokens);
 * });
 * ```
 */
export function finalCompletion(): OperatorFunction<ChatStreamEvent, ChatCompletion> {
  return (source) =>
    new Observable<ChatCompletion>((subscriber) => {
      const accumulator = new CompletionAccumulator();
      return source.subscribe({
        next(event) {
          if (event.type === 'chunk') accumulator.add(event.chunk);
          else if (event.type === 'usage') accumulator.setUsage(event.usage);
        },
        error(error: unknown) {
          subscriber.error(attachPartial(error, accumulator));
        },
        complete() {
          subscriber.next(accumulator.snapshot());
          subscriber.complete();
        },
      });
    });
}
