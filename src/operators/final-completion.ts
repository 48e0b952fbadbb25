import type { OperatorFunction } from 'rxjs';
import type { ChatCompletion, ChatStreamEvent } from '../chunks/types';
import { accumulateInternals } from './accumulate-internals';

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
  return accumulateInternals(false, true);
}
