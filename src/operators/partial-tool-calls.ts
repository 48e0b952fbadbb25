import { Observable, type OperatorFunction } from 'rxjs';
import { CompletionAccumulator } from '../chunks/accumulator';
import type { ChatStreamEvent } from '../chunks/types';
import { PartialJsonParser } from '../json/partial-json-parser';
import type { DeltaOptions } from './content-deltas';

/** A tool call as it is being written: its arguments parsed as far as they go. */
export interface PartialToolCall {
  /** The call's position among the choice's calls (0, 1, …), in the order they started. */
  index: number;
  /** The call's id (`call_…`); `''` until it comes. */
  id: string;
  /** `'function'`, or `'custom'` for a free-form tool. */
  type: 'function' | 'custom';
  /** The tool's name; `''` until it comes. */
  name: string;
  /**
   * Function calls: the arguments parsed so far (as {@link partialJson} snapshots them:
   * `undefined` before the value starts, then a growing object that shares unchanged parts with
   * the previous one). Custom calls: the free-form input so far, as text.
   */
  arguments: unknown;
  /**
   * `true` once the arguments text stopped being valid JSON: `arguments` stays at the last good
   * value and the call is not followed further (the whole call still comes from {@link toolCalls}).
   */
  invalid?: true;
}

interface Tracked {
  parser: PartialJsonParser;
  /** How much of the call's arguments text the parser has read. */
  read: number;
  id: string;
  name: string;
  invalid: boolean;
  /** The last emission, to emit only what changed. */
  last: PartialToolCall | undefined;
}

/**
 * Every tool call of a choice as it is written, so that an interface can show a tool's input
 * before the call is complete: after each event that changed a call (it appeared, got its id or
 * name, or its arguments grew visibly), `{ index, id, type, name, arguments }` with `arguments`
 * parsed incrementally (linear time, never re-parsed from the start). Works on chat and
 * Responses streams; {@link toolCalls} gives each call once it is whole.
 *
 * Arguments that stop being valid JSON do not fail the stream: that call is marked `invalid` and
 * left (the model's call still comes whole from `toolCalls()`, for the tool loop to answer).
 *
 * @example
 * ```ts
 * client.stream(request).pipe(partialToolCalls()).subscribe((call) => {
 *   if (call.name === 'draw_chart') preview(call.arguments); // { title: 'Sal', points: [[1, 2]] }
 * });
 * ```
 */
export function partialToolCalls(
  options: DeltaOptions = {},
): OperatorFunction<ChatStreamEvent, PartialToolCall> {
  const wanted = options.choice ?? 0;
  return (source) =>
    new Observable<PartialToolCall>((subscriber) => {
      const accumulator = new CompletionAccumulator();
      const tracked: Tracked[] = [];
      const update = () => {
        const calls = accumulator.choice(wanted)?.calls;
        if (!calls) return;
        for (let index = 0; index < calls.length && !subscriber.closed; index++) {
          const call = calls[index]!;
          const state = (tracked[index] ??= {
            parser: new PartialJsonParser(),
            read: 0,
            id: '',
            name: '',
            invalid: false,
            last: undefined,
          });
          let changed =
            state.last === undefined || state.id !== call.id || state.name !== call.name;
          state.id = call.id;
          state.name = call.name;
          let value: unknown;
          if (call.kind === 'custom') {
            changed ||= state.read !== call.args.length;
            state.read = call.args.length;
            value = call.args;
          } else {
            if (!state.invalid && call.args.length > state.read) {
              try {
                if (state.parser.feed(call.args.slice(state.read))) changed = true;
              } catch {
                state.invalid = true;
                changed = true;
              }
              state.read = call.args.length;
            }
            value = state.last?.arguments;
            if (!state.invalid) value = state.parser.value;
          }
          if (!changed) continue;
          const emitted: PartialToolCall = {
            index,
            id: call.id,
            type: call.kind,
            name: call.name,
            arguments: value,
          };
          if (state.invalid) emitted.invalid = true;
          state.last = emitted;
          subscriber.next(emitted);
        }
      };
      return source.subscribe({
        next(event) {
          if (event.type === 'chunk') {
            const touches = event.chunk.choices?.some((c) => (c.index ?? 0) === wanted);
            if (!touches) return;
            accumulator.add(event.chunk);
          } else if (event.type === 'responses') {
            if (wanted !== 0) return;
            accumulator.addResponseEvent(event.event);
          } else {
            return;
          }
          update();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
