import { Observable, type OperatorFunction } from 'rxjs';
import { CompletionAccumulator } from '../chunks/accumulator';
import type { ChatStreamEvent, ToolCall } from '../chunks/types';
import type { DeltaOptions } from './content-deltas';

/**
 * Emits each tool call of a choice once it is complete: when the next call starts, when the
 * choice gets its `finish_reason`, or when the stream ends. Fragments are merged by id, then
 * index, then the latest call, so every provider's shape gives whole calls with whole
 * `arguments`. A stream that fails emits no half-finished call.
 *
 * @example
 * ```ts
 * client.stream(request).pipe(toolCalls()).subscribe((call) => {
 *   runTool(call.function.name, JSON.parse(call.function.arguments));
 * });
 * ```
 */
export function toolCalls(options: DeltaOptions = {}): OperatorFunction<ChatStreamEvent, ToolCall> {
  const wanted = options.choice ?? 0;
  return (source) =>
    new Observable<ToolCall>((subscriber) => {
      const accumulator = new CompletionAccumulator();
      let emitted = 0;

      const emitUpTo = (count: number) => {
        if (count <= emitted) return;
        const calls = accumulator.toolCallsOf(wanted);
        for (; emitted < count && !subscriber.closed; emitted++) subscriber.next(calls[emitted]!);
      };
      const emitAll = () => emitUpTo(accumulator.choice(wanted)?.calls.length ?? 0);

      return source.subscribe({
        next(event) {
          if (event.type === 'usage') return emitAll();
          if (event.type !== 'chunk') return;
          const touches = event.chunk.choices?.some((c) => (c.index ?? 0) === wanted);
          if (!touches) return;
          accumulator.add(event.chunk);
          const state = accumulator.choice(wanted);
          if (!state) return;
          // Every call but the last is done once a later one has started.
          emitUpTo(state.finish ? state.calls.length : state.calls.length - 1);
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          emitAll();
          subscriber.complete();
        },
      });
    });
}
