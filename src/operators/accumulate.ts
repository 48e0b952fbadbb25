import type { OperatorFunction } from 'rxjs';
import type { ChatCompletion, ChatStreamEvent } from '../chunks/types';
import { accumulateInternals } from './accumulate-internals';

/**
 * Emits a snapshot of the completion so far after every chunk, and a last one with the final
 * usage. Snapshots are immutable and cheap: unchanged choices are shared with the previous
 * snapshot, and taking one costs the same however long the text is (each character is copied
 * once more, when deltas are joined into blocks). For just the end result use
 * {@link finalCompletion}.
 *
 * @example
 * ```ts
 * // Render the whole message on each update, at most once per animation frame.
 * client.stream(request)
 *   .pipe(accumulate(), auditTime(0, animationFrameScheduler))
 *   .subscribe((snapshot) => render(snapshot.choices[0]?.message.content ?? ''));
 * ```
 */
export function accumulate(): OperatorFunction<ChatStreamEvent, ChatCompletion> {
  return accumulateInternals(true, false);
}
