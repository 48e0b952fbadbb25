import { filter, map, pipe, type OperatorFunction } from 'rxjs';
import type { ChatStreamEvent, Usage } from '../chunks/types';

/**
 * The final usage of a stream: one value (the last usage the server reported, or `null`), emitted
 * just before completion.
 *
 * @example
 * ```ts
 * client.stream(request).pipe(usage()).subscribe((u) => console.error(`[usage] ${u?.total_tokens}`));
 * ```
 */
export function usage(): OperatorFunction<ChatStreamEvent, Usage | null> {
  return pipe(
    filter((event): event is Extract<ChatStreamEvent, { type: 'usage' }> => event.type === 'usage'),
    map((event) => event.usage),
  );
}
