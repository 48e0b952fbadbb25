import type { OperatorFunction } from 'rxjs';
import { contentOf } from '../chunks/delta-text';
import type { ChatStreamEvent } from '../chunks/types';
import { textDeltas } from './deltas-internals';

/**
 * Options of the operators that follow one choice: {@link contentDeltas},
 * {@link reasoningDeltas}, {@link toolCalls} and {@link chatState}.
 */
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
  return textDeltas(options.choice ?? 0, contentOf, 'content');
}
