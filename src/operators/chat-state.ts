import { Observable, type OperatorFunction } from 'rxjs';
import { CompletionAccumulator } from '../chunks/accumulator';
import type { TextBuilder } from '../chunks/text-builder';
import type { ChatCompletion, ChatStreamEvent, Usage } from '../chunks/types';
import { isHighSurrogate } from '../text/code-points';
import { attachPartial } from './accumulate-internals';
import type { DeltaOptions } from './content-deltas';

/**
 * What {@link chatState} emits: everything a screen shows of one streamed answer, as one
 * immutable value. Each snapshot is a new object; fields that did not change are shared with the
 * previous one.
 */
export interface ChatState {
  /**
   * The answer text so far of the followed choice: `''` until some arrives. Before `done` it
   * never ends in half a surrogate pair (an emoji cut between chunks appears whole, one chunk
   * later); on the last snapshot it is exactly the text received.
   */
  readonly text: string;
  /**
   * The reasoning so far of the followed choice (`reasoning_content`, `reasoning` or thinking
   * parts, as {@link reasoningDeltas} reads them): `''` when the model shows none. Never ends in
   * half a surrogate pair before `done`.
   */
  readonly reasoning: string;
  /**
   * The whole completion so far, every choice included, as {@link accumulate} snapshots it;
   * on the last snapshot it equals what {@link finalCompletion} emits. The followed choice's
   * `finish_reason` and `tool_calls` are in its `choices`.
   */
  readonly completion: ChatCompletion;
  /**
   * The last usage the server reported (`completion.usage`): `null` until one arrives, which is
   * usually with the last chunk only; on the last snapshot, the stream's final usage (still
   * `null` when the server reported none, for example with `includeUsage: false`).
   */
  readonly usage: Usage | null;
  /**
   * `true` on the last snapshot only, which is emitted when the stream completes successfully
   * (a failed stream errors instead, its error carrying the completion so far as `partial`).
   */
  readonly done: boolean;
}

/**
 * One stream, every view of it: emits a {@link ChatState} (`{ text, reasoning, completion,
 * usage, done }`) after every chunk, and a last one with `done: true` and the final usage just
 * before completing. Since it reads everything from one subscription, the request is sent once:
 * no `share()` is needed to show the text as it grows and the usage and completion at the end.
 *
 * - `response` events (the client's per-attempt metadata) emit nothing; each chunk emits one
 *   snapshot, even one that changed nothing the followed choice shows (a usage-only chunk);
 *   add `distinctUntilChanged((a, b) => a.text === b.text)` or a frame-rate `auditTime` to
 *   render less often.
 * - Cheap on long answers, like {@link accumulate}: a snapshot costs the same however long the
 *   text is, and earlier snapshots are never changed.
 * - On error, the error (an `RxChatError`) carries the completion so far as `partial`, as with
 *   {@link finalCompletion}; no `done` snapshot is emitted.
 * - For the answer as deltas (to write to a terminal) use {@link contentDeltas}; for the end
 *   result alone, {@link finalCompletion}.
 *
 * @param options - `choice`: which choice `text` and `reasoning` follow when the request asked
 *   for `n > 1`. Default 0.
 *
 * @example
 * ```ts
 * client.stream(request).pipe(chatState()).subscribe(({ text, usage, done }) => {
 *   output.textContent = text;
 *   if (done) status.textContent = `${usage?.total_tokens ?? '?'} tokens`;
 * });
 * ```
 */
export function chatState(
  options: DeltaOptions = {},
): OperatorFunction<ChatStreamEvent, ChatState> {
  const wanted = options.choice ?? 0;
  return (source) =>
    new Observable<ChatState>((subscriber) => {
      const accumulator = new CompletionAccumulator();
      const emit = (done: boolean) => {
        const completion = accumulator.snapshot();
        const message = choiceOf(completion, wanted)?.message;
        const state = accumulator.choice(wanted);
        subscriber.next({
          text: whole(message?.content ?? '', state?.content, done),
          reasoning: whole(message?.reasoning ?? '', state?.reasoning, done),
          completion,
          usage: completion.usage,
          done,
        });
      };
      return source.subscribe({
        next(event) {
          if (event.type === 'chunk') {
            accumulator.add(event.chunk);
            emit(false);
          } else if (event.type === 'responses') {
            accumulator.addResponseEvent(event.event);
            emit(false);
          } else if (event.type === 'usage') {
            // The end of the stream: its usage goes out with the `done` snapshot.
            accumulator.setUsage(event.usage);
          }
        },
        error(error: unknown) {
          subscriber.error(attachPartial(error, accumulator));
        },
        complete() {
          emit(true);
          subscriber.complete();
        },
      });
    });
}

/** The choice with this index (choices are sorted by index, and usually numbered from 0). */
function choiceOf(completion: ChatCompletion, index: number) {
  const choices = completion.choices;
  const at = choices[index];
  return at && at.index === index ? at : choices.find((choice) => choice.index === index);
}

/**
 * Text without a trailing half surrogate pair while more may come; all of it at the end. The end
 * is asked of the builder, never read from `text` (a rope: reading it copies all of it).
 */
function whole(text: string, builder: TextBuilder | undefined, done: boolean): string {
  return !done && builder !== undefined && isHighSurrogate(builder.lastUnit)
    ? text.slice(0, -1)
    : text;
}
