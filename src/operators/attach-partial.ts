import type { CompletionAccumulator } from '../chunks/accumulator';
import { RxChatError } from '../errors';

/**
 * Gives an rxchat error the completion received so far, unless an operator closer to the
 * source already did. Other errors pass through unchanged.
 */
export function attachPartial(error: unknown, accumulator: CompletionAccumulator): unknown {
  if (RxChatError.isInstance(error) && error.partial === undefined) {
    const partial = accumulator.snapshot();
    // The usage of a failing chunk (an error object that still reports usage) counts too.
    if (error.usage) partial.usage = error.usage;
    error.partial = partial;
  }
  return error;
}
