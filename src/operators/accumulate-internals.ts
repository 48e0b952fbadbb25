import { Observable, type OperatorFunction } from 'rxjs';
import { CompletionAccumulator } from '../chunks/accumulator';
import type { ChatCompletion, ChatStreamEvent } from '../chunks/types';
import { amendError, RxChatError } from '../errors';

/**
 * The fold behind {@link accumulate} and {@link finalCompletion}, as `scanInternals` is behind
 * RxJS's `scan` and `reduce`: each subscription folds the `chunk` and `usage` events into one
 * {@link CompletionAccumulator}, and emits a snapshot of it after each of them
 * (`emitOnNext`), and/or once just before completing (`emitBeforeComplete`). On a source error
 * the error gets the completion so far ({@link attachPartial}).
 */
export function accumulateInternals(
  emitOnNext: boolean,
  emitBeforeComplete: boolean,
): OperatorFunction<ChatStreamEvent, ChatCompletion> {
  return (source) =>
    new Observable<ChatCompletion>((subscriber) => {
      const accumulator = new CompletionAccumulator();
      return source.subscribe({
        next(event) {
          if (event.type === 'chunk') accumulator.add(event.chunk);
          else if (event.type === 'responses') accumulator.addResponseEvent(event.event);
          else if (event.type === 'usage') accumulator.setUsage(event.usage);
          else return;
          if (emitOnNext) subscriber.next(accumulator.snapshot());
        },
        error(error: unknown) {
          subscriber.error(attachPartial(error, accumulator));
        },
        complete() {
          if (emitBeforeComplete) subscriber.next(accumulator.snapshot());
          subscriber.complete();
        },
      });
    });
}

/**
 * Gives an rxchat error the completion received so far, unless an operator closer to the
 * source already did. Other errors pass through unchanged.
 */
export function attachPartial(error: unknown, accumulator: CompletionAccumulator): unknown {
  if (RxChatError.isInstance(error) && error.partial === undefined) {
    const partial = accumulator.snapshot();
    // The usage of a failing chunk (an error object that still reports usage) counts too.
    if (error.usage) partial.usage = error.usage;
    amendError(error, { partial });
  }
  return error;
}
