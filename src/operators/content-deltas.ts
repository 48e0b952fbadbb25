import { Observable, type OperatorFunction } from 'rxjs';
import { contentOf } from '../chunks/delta-text';
import type { ChatStreamEvent } from '../chunks/types';

/** Options of {@link contentDeltas} and {@link reasoningDeltas}. */
export interface DeltaOptions {
  /** Which choice to follow when the request asked for `n > 1`. Default 0. */
  choice?: number;
}

/**
 * The answer text as it arrives: one string per chunk that carries text for the choice (empty
 * pieces are skipped). Array content (typed parts) contributes its `text` parts.
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
    new Observable<string>((subscriber) =>
      source.subscribe({
        next(event) {
          if (event.type !== 'chunk' || !event.chunk.choices) return;
          for (const choice of event.chunk.choices) {
            if ((choice.index ?? 0) !== wanted || !choice.delta) continue;
            const text = read(choice.delta);
            if (text) subscriber.next(text);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
}
